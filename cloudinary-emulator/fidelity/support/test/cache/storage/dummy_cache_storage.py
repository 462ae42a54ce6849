"""An in-memory key-value storage, the shape `KeyValueCacheAdapter` expects (written for the fidelity run)."""

from cloudinary.cache.storage.key_value_storage import KeyValueStorage


class DummyCacheStorage(KeyValueStorage):
    """Keeps values in a dict for the life of the process."""

    def __init__(self):
        self._values = {}

    def get(self, key):
        """The value stored under `key`, or None."""
        return self._values.get(key)

    def set(self, key, value):
        """Store `value` under `key`."""
        self._values[key] = value
        return True

    def delete(self, key):
        """Forget `key`."""
        self._values.pop(key, None)
        return True

    def clear(self):
        """Forget everything."""
        self._values = {}
        return True
