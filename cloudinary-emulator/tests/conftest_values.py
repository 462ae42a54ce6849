"""Account values shared by fixtures and helpers."""

CLOUD_NAME = "test-cloud"
API_KEY = "123456789012345"
API_SECRET = "test-secret-for-the-emulator-0123"
TEST_CLOUDINARY_URL = f"cloudinary://{API_KEY}:{API_SECRET}@{CLOUD_NAME}"
