"""`profile-service migrate-local-images`: move avatars an older app kept on disk to Cloudinary."""
