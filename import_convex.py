"""Import a Convex export on the database servers, the optional step after deploy.py:

    pyinfra inventories/<env>.py import_convex.py --data convex_export=snapshot.zip

It uploads the ZIP (`npx convex export --path snapshot.zip`) and the importer, in a venv of
pinned wheels this machine downloads, and runs it over the server's local socket as the
migrator. The summary goes to pyinfra's output (-vvv) and, with the rejects, to
/var/lib/pgdeploy-import/<sha256>.*; an export that imported cleanly is not imported again.
To run the importer from this machine over TLS instead, see the README.
"""

from tasks import convex_import, settings

config = settings.current()

if not config["repository_host"]:
    convex_import.run(config)
