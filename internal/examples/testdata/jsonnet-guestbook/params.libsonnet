{
  containerPort: 80,
  image: 'registry.invalid/guestbook-ui:0.2',
  name: 'jsonnet-guestbook-ui',
  replicas: 1,
  servicePort: 80,
}
