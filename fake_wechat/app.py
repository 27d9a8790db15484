"""The fake's Flask app: WeChat at the root, WeCom under /wecom/, controls under /_fake/."""
from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, jsonify, request

from fake_wechat.api import WeChatError, current_state, error_response, wechat_api, wecom_api
from fake_wechat.crypto import session_key_for
from fake_wechat.state import FakeState

CONTROL_PREFIX = "/_fake"

# errmsg WeChat sends with the errcodes tests usually inject.
ERRMSGS = {
    -1: "system error",
    40001: "invalid credential",
    45009: "reach max api daily quota limit",
}

control = Blueprint("fake_control", __name__)


def create_fake_app(state: FakeState | None = None) -> Flask:
    """Build the fake WeChat/WeCom server app around `state` (a fresh one by default)."""
    app = Flask(__name__)
    app.extensions["fake_wechat"] = state if state is not None else FakeState()
    app.before_request(_record_and_inject_failure)
    app.register_error_handler(WeChatError, lambda exc: error_response(exc.errcode, exc.errmsg))
    app.register_blueprint(wechat_api)
    app.register_blueprint(wecom_api, url_prefix="/wecom")
    app.register_blueprint(control, url_prefix=CONTROL_PREFIX)
    return app


def _record_and_inject_failure() -> Response | tuple[str, int] | None:
    """Record every non-control call, then apply the failure injected for its path."""
    if request.path.startswith(CONTROL_PREFIX + "/"):
        return None
    state = current_state()
    body = request.get_json(force=True, silent=True)
    state.record(request.path, request.method, request.args.to_dict(), body)
    failure = state.take_failure(request.path)
    if failure is None:
        return None
    if failure.mode == "timeout":
        time.sleep(failure.seconds)
        return None
    if failure.mode == "http500":
        return "Internal Server Error", 500
    return error_response(failure.errcode, ERRMSGS.get(failure.errcode, "fake error"))


@control.get("/calls")
def calls() -> Response:
    """Recorded calls, optionally those whose path contains `?path=`."""
    return jsonify(calls=current_state().calls(request.args.get("path")))


@control.post("/reset")
def reset() -> Response:
    """Forget calls, failures and tokens."""
    current_state().reset()
    return jsonify(ok=True)


@control.post("/fail")
def fail() -> Response | tuple[Response, int]:
    """Inject a failure: {"path", "errcode" | "mode": "timeout"|"http500", "seconds"?, "times"?}."""
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        return jsonify(error="expected a JSON object"), 400
    try:
        current_state().fail(
            data.get("path"),
            errcode=data.get("errcode"),
            mode=data.get("mode"),
            seconds=data.get("seconds"),
            times=data.get("times", 1),
        )
    except ValueError as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(ok=True)


@control.get("/session-key")
def session_key() -> Response | tuple[Response, int]:
    """The deterministic session key the fake gives `?openid=`."""
    openid = request.args.get("openid")
    if not openid:
        return jsonify(error="openid is required"), 400
    return jsonify(openid=openid, session_key=session_key_for(openid))
