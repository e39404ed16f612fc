"""image_config.py UID:GID ENTRYPOINT PORTS OCI_DIR < `buildah inspect --type image` JSON

Check an image's config as buildah shows it and as the OCI image layout that
`buildah push IMAGE oci:OCI_DIR` wrote holds it (index -> manifest -> config):
user, entrypoint, exposed ports ("7070/tcp 7071/tcp"), OCI labels, a linux
image with layers, and the same config in both. Prints a summary, or the
problems and exits 1 (tests/deploy/image_build.sh)."""
import json
import sys

want_user, entry, ports, layout = sys.argv[1], sys.argv[2], sorted(sys.argv[3].split()), sys.argv[4]
inspected = json.loads(json.load(sys.stdin)["Config"])


def blob(digest):
    with open(f"{layout}/blobs/{digest.replace(':', '/')}") as f:
        return json.load(f)


with open(f"{layout}/index.json") as f:
    manifest = blob(json.load(f)["manifests"][0]["digest"])
oci = blob(manifest["config"]["digest"])

bad = []
for name, c in (("buildah inspect", inspected), ("OCI layout", oci)):
    k = c.get("config", {})
    if k.get("User") != want_user:
        bad.append(f"{name}: User {k.get('User')!r}, want {want_user!r}")
    if k.get("Entrypoint") != [entry]:
        bad.append(f"{name}: Entrypoint {k.get('Entrypoint')}, want [{entry!r}]")
    if sorted(k.get("ExposedPorts", {})) != ports:
        bad.append(f"{name}: ports {sorted(k.get('ExposedPorts', {}))}, want {ports}")
    labels = k.get("Labels", {})
    for label in ("title", "version", "revision"):
        if not labels.get(f"org.opencontainers.image.{label}"):
            bad.append(f"{name}: no label org.opencontainers.image.{label}")
    if c.get("os") != "linux" or not c.get("rootfs", {}).get("diff_ids"):
        bad.append(f"{name}: not a linux image with layers")
if inspected != oci:
    bad.append("the OCI layout's config differs from buildah inspect's")
if bad:
    print("; ".join(bad))
    sys.exit(1)
k = oci["config"]
layers = manifest["layers"]
print(f"user {k['User']}, entrypoint {k['Entrypoint'][0]}, ports {' '.join(sorted(k['ExposedPorts']))}, "
      f"{len(layers)} layer(s) of {sum(x['size'] for x in layers)} bytes, "
      f"version {k['Labels']['org.opencontainers.image.version']} commit {k['Labels']['org.opencontainers.image.revision']}")
