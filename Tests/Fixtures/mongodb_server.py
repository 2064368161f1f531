"""Runs nx-27017 (MongoDB wire protocol over SQLite, PyPI) on 127.0.0.1 on a free port and
writes its address to --info once it takes connections: {"mongodb": "mongodb://127.0.0.1:PORT"}.

Used by scripts/services.sh (service `mongodb`) and, with --port and --data-dir, by tests that
stop and restart a server of their own (Tests/MongoDBTests/MongoTestSupport.swift).
Databases live in one SQLite file each under --data-dir (nx-27017's --data-dir mode).
"""
import argparse, json, os, shutil, signal, socket, subprocess, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--info", required=True)
ap.add_argument("--data-dir", required=True)
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--fresh", action="store_true", help="empty --data-dir first")
args = ap.parse_args()
if args.fresh:
    shutil.rmtree(args.data_dir, ignore_errors=True)

port = args.port
if port == 0:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
os.makedirs(args.data_dir, exist_ok=True)
exe = os.path.join(os.path.dirname(sys.executable), "nx-27017")
child = subprocess.Popen([exe, "--host", "127.0.0.1", "-p", str(port), "--data-dir", args.data_dir,
                          "--log-file", os.path.join(args.data_dir, "nx-27017.log"),
                          "--pid-file", os.path.join(args.data_dir, "nx-27017.pid")])
signal.signal(signal.SIGTERM, lambda *_: (child.terminate(), sys.exit(0)))

for _ in range(200):
    if child.poll() is not None:
        sys.exit(f"nx-27017 exited with {child.returncode}")
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        break
    except OSError:
        time.sleep(0.05)
tmp = args.info + ".tmp"
with open(tmp, "w") as f:
    json.dump({"mongodb": f"mongodb://127.0.0.1:{port}"}, f)
os.replace(tmp, args.info)
sys.exit(child.wait())
