"""Small catalogue files for the tests, written as people write them."""
from __future__ import annotations

VALID = """\
version: "{version}"
title: 测试清单
effective_from: 2026-01-01
effective_to: {effective_to}
items:
  - code: SC-901
    department: market
    name: 测试食品生产检查
    category: general
    method: random
    target_type: 食品生产企业
    legal_basis:
      - law: 《中华人民共和国食品安全法》
        articles: 第一百一十条
    scope:
      industries: [食品制造]
      tags: []
    frequency_cap: 1
    qualification: null
    checklist:
      - text: 是否取得食品生产许可证
        legal_basis: 《中华人民共和国食品安全法》第三十五条
        verify: 查验许可证
  - code: XF-901
    department: fire
    name: 测试消防检查
    method: random
    target_type: 人员密集场所
    legal_basis:
      - law: 《中华人民共和国消防法》
        articles: 第五十三条
    scope:
      tags: [人员密集场所]
    frequency_cap: 2
    checklist:
      - text: 疏散通道是否畅通
        legal_basis: 《中华人民共和国消防法》第二十八条
        verify: 现场查看
"""


def write(tmp_path, text: str, name: str = "catalogue.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def valid(version: str = "T-1", effective_to: str = "2026-12-31") -> str:
    return VALID.format(version=version, effective_to=effective_to)
