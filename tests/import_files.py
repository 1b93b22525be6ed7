"""Spreadsheets for the import tests, made with openpyxl and the csv module as staff make them."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import openpyxl

OPENING_HEADERS = ["사업장명", "사업자등록번호", "업종", "직무", "하는 일", "시군", "고용 형태",
                   "주당 근무시간", "근무 요일", "근무 시간", "임금 형태", "임금", "모집인원",
                   "중소기업", "승인사업장", "접수 마감", "연락처"]
SEEKER_HEADERS = ["제15조 동의일", "이름", "휴대전화", "출생연도", "거주 시군", "희망 직무",
                  "희망 근무시간", "희망 시간대", "희망 시급", "경력단절 사유", "경력단절 기간",
                  "제3자 제공 동의", "메모"]


def opening_row(company: str = "행복제과", job: str = "포장", **changes: Any) -> list[Any]:
    values: dict[str, Any] = {
        "사업장명": company, "사업자등록번호": "", "업종": "제조", "직무": job,
        "하는 일": "제품 포장", "시군": "천안시", "고용 형태": "정규직(시간선택제)",
        "주당 근무시간": 20, "근무 요일": "월~금", "근무 시간": "10:00-15:00", "임금 형태": "시급",
        "임금": "13,500", "모집인원": 2, "중소기업": "예", "승인사업장": "아니요",
        "접수 마감": "2026년 9월 30일", "연락처": "041-555-1234",
    } | changes
    return [values[h] for h in OPENING_HEADERS]


def seeker_row(name: str = "김하나", phone: str = "010-2345-6701", **changes: Any) -> list[Any]:
    values: dict[str, Any] = {
        "제15조 동의일": "2026.8.20.", "이름": name, "휴대전화": phone, "출생연도": "85년생",
        "거주 시군": "천안", "희망 직무": "사무보조", "희망 근무시간": "주 20시간",
        "희망 시간대": "오전", "희망 시급": "1만 2천원", "경력단절 사유": "육아",
        "경력단절 기간": "3년", "제3자 제공 동의": "동의", "메모": "",
    } | changes
    return [values[h] for h in SEEKER_HEADERS]


def xlsx(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, above: int = 0,
         extra: bool = False) -> bytes:
    """A workbook; `above` blank or title rows before the headers; `extra` adds a column."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for index in range(above):
        sheet.append(["2026년 하반기 명단"] if index == 0 else [])
    sheet.append([*headers, *(["담당자 메모"] if extra else [])])
    for row in rows:
        sheet.append([*row, *(["확인함"] if extra and any(row) else [])])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(headers: Sequence[str], rows: Sequence[Sequence[Any]], encoding: str) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(headers)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)
