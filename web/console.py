"""The ``inspection`` console script."""
from __future__ import annotations

from flask.cli import FlaskGroup

from .app import create_app


def _make_app():
    return create_app()


main = FlaskGroup(name="inspection", create_app=_make_app, add_default_commands=False, load_dotenv=False,
                  set_debug_flag=False,
                  help="东营市涉企行政检查统筹监管平台命令行。数据库由环境变量 DATABASE_URL 指定"
                       "（默认：实例目录下的 SQLite 文件）。")


if __name__ == "__main__":
    main()
