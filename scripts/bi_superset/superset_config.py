# Minimal Superset config for the cx360 BI check (metadata in SQLite under $SUPERSET_HOME).
import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
DATA_DIR = os.environ.get("SUPERSET_HOME", "/tmp/superset_home")
SQLALCHEMY_DATABASE_URI = f"sqlite:///{DATA_DIR}/superset.db"
# no Redis here: keep rate-limit state in memory
RATELIMIT_STORAGE_URI = "memory://"
