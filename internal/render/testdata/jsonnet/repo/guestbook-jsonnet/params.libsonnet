{
  image: 'gcr.io/heptio-images/ks-guestbook-demo',
  port: 80,
}
