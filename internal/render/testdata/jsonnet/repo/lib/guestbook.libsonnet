// Helpers shared by the guestbook's Jsonnet files.
{
  labels(name):: { app: name },
  container(name, image):: {
    name: name,
    image: image,
    ports: [{ containerPort: 80 }],
  },
}
