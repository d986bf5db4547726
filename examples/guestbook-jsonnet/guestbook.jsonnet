// The guestbook as Jsonnet: a top-level function of the replica count.
function(replicas=1, image='gcr.io/heptio-images/ks-guestbook-demo:0.2') [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'guestbook-ui' },
    spec: {
      replicas: replicas,
      selector: { matchLabels: { app: 'guestbook-ui' } },
      template: {
        metadata: { labels: { app: 'guestbook-ui' } },
        spec: { containers: [{ name: 'guestbook-ui', image: image, ports: [{ containerPort: 80 }] }] },
      },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'guestbook-ui' },
    spec: { ports: [{ port: 80, targetPort: 80 }], selector: { app: 'guestbook-ui' } },
  },
]
