"""OCI packaging of images (docs/oci.md): `unicore pkg` writes an OCI image layout or archive with
umoci and skopeo (package.py); `unicore run oci:...` reads one back (unpack.py); references and
the tools in ref.py."""
