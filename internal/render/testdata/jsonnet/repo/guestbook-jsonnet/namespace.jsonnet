// A single object: a cluster-scoped Namespace, never given one.
function(replicas=1, name='guestbook') {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: name + '-extra', labels: { replicas: std.toString(replicas) } },
}
