// An array of objects: the Deployment and the Service.
local gb = import 'guestbook.libsonnet';
local params = import 'params.libsonnet';

function(replicas=1, name='guestbook') [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: name, annotations: { owner: std.extVar('owner') } },
    spec: {
      replicas: replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: gb.labels(name) },
      template: {
        metadata: { labels: gb.labels(name) },
        spec: {
          containers: [gb.container(name, params.image + ':' + std.extVar('imageTag'))],
        },
      },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: name },
    spec: {
      ports: [{ port: params.port, targetPort: params.port }],
      selector: gb.labels(name),
    },
  },
]
