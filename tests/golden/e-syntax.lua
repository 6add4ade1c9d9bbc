image {
