"""A local stand-in for WeChat's and WeCom's servers, for development and tests only.

Never deploy it: it accepts any credentials and keeps everything in memory.
"""
from fake_wechat.app import create_fake_app
from fake_wechat.crypto import encrypt_for_miniapp, session_key_for
from fake_wechat.server import FakeWeChatServer
from fake_wechat.state import FakeState

__all__ = [
    "FakeState",
    "FakeWeChatServer",
    "create_fake_app",
    "encrypt_for_miniapp",
    "session_key_for",
]
