"""The server side of Slack's Socket Mode on a plain socket: an RFC 6455 subset plus Slack's envelope protocol.

The stand-in's HTTP server hands WebSocket upgrade requests to `SocketModeHub.serve`, which keeps the connection
for its lifetime. Only what Slack's own server uses is implemented: unfragmented text frames out, masked
frames in (text, continuation, ping, pong, close). The hub pings every connection on a short interval because
slack_sdk's builtin client holds its receive lock inside a blocking `recv` (3 s timeout); regular traffic lets
the client's `close()` finish quickly instead of waiting out that timeout.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urlsplit

_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001

ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")
# A non-empty payload matters: slack_sdk's frame parser blocks for more bytes after a 2-byte frame.
_PING_PAYLOAD = b"standin"


def websocket_accept(key: str) -> str:
    """The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key."""
    digest = hashlib.sha1((key.strip() + _WS_GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """One unmasked, final frame, as a server sends them."""
    head = bytes([0x80 | opcode])
    size = len(payload)
    if size <= 125:
        head += bytes([size])
    elif size <= 0xFFFF:
        head += bytes([126]) + struct.pack("!H", size)
    else:
        head += bytes([127]) + struct.pack("!Q", size)
    return head + payload


def _unmask(data: bytes, key: bytes) -> bytes:
    if not data:
        return data
    mask = (key * (len(data) // 4 + 1))[: len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(mask, "big")).to_bytes(len(data), "big")


class WebSocketConnection:
    """One accepted WebSocket connection; `receive` runs on the connection's own thread, sends on any thread."""

    def __init__(self, sock: socket.socket, rfile: BinaryIO, connection_id: str) -> None:
        self.id = connection_id
        self._sock = sock
        self._rfile = rfile
        self._send_lock = threading.Lock()
        self.closed = False
        self.pongs = 0

    def send_text(self, text: str) -> None:
        self._send(encode_frame(OP_TEXT, text.encode("utf-8")))

    def send_ping(self, payload: bytes = _PING_PAYLOAD) -> None:
        self._send(encode_frame(OP_PING, payload))

    def send_close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        self._send(encode_frame(OP_CLOSE, struct.pack("!H", code) + reason.encode("utf-8")))

    def _send(self, frame: bytes) -> None:
        with self._send_lock:
            if self.closed:
                raise ConnectionError(f"WebSocket connection {self.id} is closed")
            try:
                self._sock.sendall(frame)
            except OSError:
                self.closed = True
                raise

    def _read_exact(self, size: int) -> bytes:
        data = self._rfile.read(size) if size else b""
        if len(data) < size:
            raise EOFError
        return data

    def _read_frame(self) -> tuple[bool, int, bytes]:
        first, second = self._read_exact(2)
        size = second & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", self._read_exact(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", self._read_exact(8))
        key = self._read_exact(4) if second & 0x80 else b""
        payload = self._read_exact(size)
        return bool(first & 0x80), first & 0x0F, _unmask(payload, key) if key else payload

    def receive(self) -> str | None:
        """The next text message, answering control frames on the way; None once the peer has gone."""
        parts: list[bytes] = []
        while True:
            try:
                fin, opcode, payload = self._read_frame()
            except (EOFError, OSError, ValueError):
                self.closed = True
                return None
            if opcode == OP_PING:
                self._send_quietly(encode_frame(OP_PONG, payload))
            elif opcode == OP_PONG:
                self.pongs += 1
            elif opcode == OP_CLOSE:
                # Echo the close as RFC 6455 asks, then stop reading.
                self._send_quietly(encode_frame(OP_CLOSE, payload[:2]))
                self.closed = True
                return None
            elif opcode in (OP_TEXT, OP_BINARY, OP_CONTINUATION):
                parts.append(payload)
                if fin:
                    return b"".join(parts).decode("utf-8", errors="replace")

    def _send_quietly(self, frame: bytes) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            self._send(frame)

    def shutdown(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)


class SocketModeHub:
    """Accepts Socket Mode connections, delivers envelopes to the newest one and collects the client's acks."""

    def __init__(self, app_id: str, *, ping_interval: float = 0.2) -> None:
        self.app_id = app_id
        self.ping_interval = ping_interval
        self._cond = threading.Condition()
        self._tickets: set[str] = set()
        self._connections: list[WebSocketConnection] = []
        self.accepted = 0
        self._acks: dict[str, dict[str, Any]] = {}
        self._sent: dict[str, dict[str, Any]] = {}
        self.received: list[dict[str, Any]] = []
        self._closing = threading.Event()
        self._pinger: threading.Thread | None = None
        self.on_ack: Callable[[dict[str, Any]], None] | None = None

    # -- connection handling -------------------------------------------------------------------------------

    def new_ticket(self) -> str:
        ticket = uuid.uuid4().hex
        with self._cond:
            self._tickets.add(ticket)
        return ticket

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        """Completes the upgrade for `handler`'s request and serves the connection until either side closes."""
        ticket = parse_qs(urlsplit(handler.path).query).get("ticket", [""])[0]
        key = handler.headers.get("Sec-WebSocket-Key", "")
        with self._cond:
            # Tickets are single use, as Slack's are: a reconnecting client must call apps.connections.open again.
            valid = ticket in self._tickets and not self._closing.is_set()
            self._tickets.discard(ticket)
        if not key or not valid:
            status = "400 Bad Request" if not key else "401 Unauthorized"
            handler.wfile.write(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
            return
        handler.wfile.write(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {websocket_accept(key)}\r\n\r\n"
            ).encode("ascii")
        )
        conn = WebSocketConnection(handler.connection, handler.rfile, uuid.uuid4().hex[:12])
        with self._cond:
            self._connections.append(conn)
            self.accepted += 1
            count = len(self._connections)
            self._cond.notify_all()
        self._ensure_pinger()
        try:
            conn.send_text(json.dumps(self._hello(count)))
            while (text := conn.receive()) is not None:
                self._on_text(text)
        except (ConnectionError, OSError):
            pass
        finally:
            conn.shutdown()
            with self._cond:
                if conn in self._connections:
                    self._connections.remove(conn)
                self._cond.notify_all()

    def _hello(self, num_connections: int) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": num_connections,
            "debug_info": {"host": "applink-standin", "build_number": 1, "approximate_connection_time": 3600},
            "connection_info": {"app_id": self.app_id},
        }

    def _on_text(self, text: str) -> None:
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            message = {"raw": text}
        if not isinstance(message, dict):
            message = {"raw": message}
        with self._cond:
            envelope_id = message.get("envelope_id")
            is_ack = isinstance(envelope_id, str) and envelope_id in self._sent
            if is_ack:
                self._acks[envelope_id] = message
            else:
                self.received.append(message)
            self._cond.notify_all()
        if is_ack and self.on_ack is not None:
            self.on_ack(message)

    def _ensure_pinger(self) -> None:
        with self._cond:
            if self._pinger is not None or self.ping_interval <= 0:
                return
            self._pinger = threading.Thread(target=self._ping_loop, name="socket-mode-pinger", daemon=True)
            self._pinger.start()

    def _ping_loop(self) -> None:
        while not self._closing.wait(self.ping_interval):
            for conn in self.connections():
                try:
                    conn.send_ping()
                except (ConnectionError, OSError):
                    conn.shutdown()

    # -- what tests use ------------------------------------------------------------------------------------

    def connections(self) -> list[WebSocketConnection]:
        with self._cond:
            return [c for c in self._connections if not c.closed]

    def wait_connected(self, timeout: float = 5.0, *, accepted: int = 1) -> WebSocketConnection:
        """The newest live connection, once `accepted` connections have been accepted in total.

        `accepted=2` waits for a client's reconnection, e.g. after `send_disconnect`.
        """

        def ready() -> bool:
            return self.accepted >= accepted and any(not c.closed for c in self._connections)

        with self._cond:
            if not self._cond.wait_for(ready, timeout):
                raise AssertionError(
                    f"no Socket Mode client connected within {timeout} s (accepted so far: {self.accepted})"
                )
            return [c for c in self._connections if not c.closed][-1]

    def send_envelope(
        self,
        payload_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        connect_timeout: float = 5.0,
    ) -> str:
        """Delivers `payload` the way Slack wraps it and returns the envelope id the client must ack."""
        if payload_type not in ENVELOPE_TYPES:
            raise ValueError(f"payload_type must be one of {ENVELOPE_TYPES}, got {payload_type!r}")
        if accepts_response_payload is None:
            # Slack lets apps answer commands and interactions in the ack, never events.
            accepts_response_payload = payload_type != "events_api"
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": payload_type,
            "accepts_response_payload": accepts_response_payload,
        }
        if payload_type == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        conn = self.wait_connected(connect_timeout)
        with self._cond:
            self._sent[envelope_id] = envelope
        conn.send_text(json.dumps(envelope))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The client's ack for `envelope_id` ({"envelope_id": ..., "payload": ...?})."""
        with self._cond:
            if envelope_id not in self._sent:
                raise KeyError(f"envelope {envelope_id} was never sent")
            if not self._cond.wait_for(lambda: envelope_id in self._acks, timeout):
                raise AssertionError(
                    f"envelope {envelope_id} ({self._sent[envelope_id]['type']}) was not acked within {timeout} s;"
                    f" acked so far: {sorted(self._acks)}"
                )
            return dict(self._acks[envelope_id])

    def acks(self) -> dict[str, dict[str, Any]]:
        with self._cond:
            return {k: dict(v) for k, v in self._acks.items()}

    def send_disconnect(self, reason: str = "refresh_requested") -> int:
        """Slack's polite disconnect message; the builtin client reconnects through apps.connections.open."""
        message = json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-standin"}})
        sent = 0
        for conn in self.connections():
            try:
                conn.send_text(message)
                sent += 1
            except (ConnectionError, OSError):
                conn.shutdown()
        return sent

    def reset(self) -> None:
        with self._cond:
            self._acks.clear()
            self._sent.clear()
            self.received.clear()

    def close(self) -> None:
        """Sends a close frame to every client and drops the sockets, which ends the serving threads."""
        self._closing.set()
        for conn in self.connections():
            with contextlib.suppress(ConnectionError, OSError):
                conn.send_close(CLOSE_GOING_AWAY, "server shutting down")
            conn.shutdown()
        if self._pinger is not None:
            self._pinger.join(timeout=2)


def close_socket_mode_client(client: Any) -> None:
    """Closes slack_sdk's builtin `SocketModeClient` (e.g. `SocketModeHandler(...).client`) without a 1 s stall.

    Its message processor blocks in `message_queue.get(timeout=1)` and re-checks `closed` only afterwards, so a
    plain `close()` waits out that poll. Marking the client closed and waking the queue lets `close()` return
    as soon as the connection is down; a None item is skipped by the processor.
    """
    client.closed = True
    client.message_queue.put(None)
    client.close()
