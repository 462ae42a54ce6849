"""Avatar uploads: signing, intents, the Cloudinary webhook, the confirm fallback and the ordering rule."""
