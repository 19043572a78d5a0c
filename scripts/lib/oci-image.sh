# shellcheck shell=bash
# Sourced by scripts/install/node-images.sh. Writes a one-layer OCI image archive (the image
# layout of the OCI image spec, in a tar) that `ctr images import` takes, so the kubelet tests
# run pods from images made on this machine and pull nothing. Reproducible: the same root
# folder gives the same digests (sorted entries, zero times, root owner).
#   oci_image_archive ROOTFS EXEC_CONFIG_JSON IMAGE_NAME OUT_TAR
#     EXEC_CONFIG_JSON is the image config's "config" object, e.g. {"Entrypoint":["/pause"]};
#     IMAGE_NAME is the full reference containerd files the image under.

_blob() { # _blob LAYOUT FILE -> moves FILE into LAYOUT's blobs, prints "sha256:<hex> <size>"
  local layout="$1" file="$2" hex size
  hex="$(sha256sum "${file}" | cut -d' ' -f1)"
  size="$(stat -c %s "${file}")"
  mv "${file}" "${layout}/blobs/sha256/${hex}"
  echo "sha256:${hex} ${size}"
}

oci_image_archive() {
  local rootfs="$1" exec_config="$2" name="$3" out="$4"
  local arch layout
  arch="$(go env GOARCH)"
  layout="$(mktemp -d)"
  mkdir -p "${layout}/blobs/sha256"

  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu \
    -C "${rootfs}" -cf "${layout}/layer" .
  local layer layer_size
  read -r layer layer_size < <(_blob "${layout}" "${layout}/layer")

  printf '{"architecture":"%s","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
    "${arch}" "${exec_config}" "${layer}" >"${layout}/config"
  local config config_size
  read -r config config_size < <(_blob "${layout}" "${layout}/config")

  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
    "${config}" "${config_size}" "${layer}" "${layer_size}" >"${layout}/manifest"
  local manifest manifest_size
  read -r manifest manifest_size < <(_blob "${layout}" "${layout}/manifest")

  # containerd names an imported image by io.containerd.image.name; the OCI annotation is the tag.
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "${manifest}" "${manifest_size}" "${arch}" "${name}" "${name##*:}" >"${layout}/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"${layout}/oci-layout"

  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu \
    -C "${layout}" -cf "${out}" oci-layout index.json blobs
  rm -rf "${layout}"
}
