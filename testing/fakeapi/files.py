"""Files: what the bot uploads (sendPhoto, sendDocument), what users send, and getFile."""

from __future__ import annotations

import mimetypes
import struct

from testing.fakeapi.common import (
    JSON,
    StoredFile,
    Upload,
    bad_request,
)
from testing.fakeapi.messages import MAX_CAPTION_LENGTH, MessagesMixin


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG image; (0, 0) when unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            (length,) = struct.unpack(">H", data[i + 2 : i + 4])
            i += 2 + length
    return 0, 0


class FilesMixin(MessagesMixin):
    """sendPhoto, sendDocument and getFile over the stored files."""

    async def _send_media(self, params: JSON, key: str) -> JSON:
        chat = self._writable_chat(params)
        caption, entities = self._formatted(
            params, "caption", "caption_entities", MAX_CAPTION_LENGTH, False
        )
        markup = self._inline_markup(params)
        stored = self._input_file(params, key, "photos" if key == "photo" else "documents")
        message = self._new_message(chat, params, markup)
        if key == "photo":
            width, height = _image_size(stored.data)
            message["photo"] = [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": stored.file_size,
                    "width": width,
                    "height": height,
                }
            ]
        else:
            message["document"] = self._document_object(stored)
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        return self._store_sent(message)

    async def _send_document(self, params: JSON) -> JSON:
        return await self._send_media(params, "document")

    async def _send_photo(self, params: JSON) -> JSON:
        return await self._send_media(params, "photo")

    async def _get_file(self, params: JSON) -> JSON:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    def _store_file(self, folder: str, upload: Upload) -> StoredFile:
        if not upload.data:
            raise bad_request("file must be non-empty")
        self._file_counter += 1
        number = self._file_counter
        suffix = ""
        if upload.filename and "." in upload.filename:
            suffix = "." + upload.filename.rsplit(".", 1)[1]
        elif folder == "photos":
            suffix = ".jpg"
        mime_type = upload.content_type
        if not mime_type or mime_type == "application/octet-stream":
            guessed = mimetypes.guess_type(upload.filename or f"x{suffix}")[0]
            mime_type = guessed or mime_type or "application/octet-stream"
        stored = StoredFile(
            file_id=f"{folder[:3].upper()}ACAgUAAxk{number:08d}{self.bot_id}",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"{folder}/file_{number}{suffix}",
            filename=upload.filename,
            data=upload.data,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def _input_file(self, params: JSON, key: str, folder: str) -> StoredFile:
        value = params.get(key)
        if isinstance(value, Upload):
            return self._store_file(folder, value)
        if isinstance(value, str) and value:
            if value in self.files:
                return self.files[value]
            if value.startswith(("http://", "https://")):
                raise bad_request("failed to get HTTP URL content")
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request(f"there is no {key} in the request")

    @staticmethod
    def _document_object(stored: StoredFile) -> JSON:
        document: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        if stored.filename:
            document["file_name"] = stored.filename
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return document
