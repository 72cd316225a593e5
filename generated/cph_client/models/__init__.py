"""Contains all the data models used in inputs/outputs"""

from .error_body import ErrorBody
from .image_label import ImageLabel
from .image_type import ImageType
from .is_public import IsPublic
from .list_cloud_phone_images_response import ListCloudPhoneImagesResponse
from .page_info import PageInfo
from .phone_image import PhoneImage
from .receive_status import ReceiveStatus

__all__ = (
    "ErrorBody",
    "ImageLabel",
    "ImageType",
    "IsPublic",
    "ListCloudPhoneImagesResponse",
    "PageInfo",
    "PhoneImage",
    "ReceiveStatus",
)
