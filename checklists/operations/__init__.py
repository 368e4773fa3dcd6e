from .publish import PublishResult, publish_catalogue, publish_version

__all__ = ["PublishResult", "publish_catalogue", "publish_version"]
