"""The benchmarks' baseline: the least a WhatsApp gateway can do, as bare Flask routes.

- POST /send: one POST to the Graph emulator and one INSERT of the result.
- POST /webhook: verify X-Hub-Signature-256 over the raw body, INSERT the raw body once.
Served by gunicorn with the same settings as the service, so the ratio isolates our own work.
"""
import hashlib
import hmac
import json
import os

import requests
from flask import Flask, request
from sqlalchemy import create_engine, text

DATABASE_URL = os.environ["BASELINE_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
GRAPH_URL = os.environ.get("BASELINE_GRAPH_URL", "")
SECRET = os.environ.get("BASELINE_APP_SECRET", "").encode()

app = Flask(__name__)
engine = create_engine(DATABASE_URL, pool_size=20, max_overflow=10, pool_pre_ping=True)
session = requests.Session()
adapter = requests.adapters.HTTPAdapter(pool_connections=32, pool_maxsize=32)
session.mount("http://", adapter)

with engine.begin() as connection:
    # gunicorn's workers import this at once; concurrent CREATE TABLE IF NOT EXISTS can still collide.
    connection.execute(text("SELECT pg_advisory_xact_lock(7100)"))
    connection.execute(text("CREATE TABLE IF NOT EXISTS baseline_messages (id bigserial PRIMARY KEY, wamid text, body jsonb)"))
    connection.execute(text("CREATE TABLE IF NOT EXISTS baseline_webhooks (id bigserial PRIMARY KEY, body text)"))


@app.post("/send")
def send():
    payload = request.get_json()
    body = {"messaging_product": "whatsapp", "to": payload["phone_number"], "type": "text",
            "text": {"body": payload["text"]}}
    answer = session.post(f"{GRAPH_URL}/v23.0/100000000000001/messages", json=body,
                          headers={"Authorization": "Bearer bench"}, timeout=(5, 30)).json()
    wamid = answer["messages"][0]["id"]
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO baseline_messages (wamid, body) VALUES (:w, :b)"),
                           {"w": wamid, "b": json.dumps(body)})
    return {"id": wamid}, 201


@app.post("/webhook")
def webhook():
    raw = request.get_data()
    expected = "sha256=" + hmac.new(SECRET, raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Hub-Signature-256", "")):
        return {"error": "bad signature"}, 401
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO baseline_webhooks (body) VALUES (:b)"), {"b": raw.decode()})
    return {"status": "ok"}, 200
