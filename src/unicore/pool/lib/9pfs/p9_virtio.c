/* 9pfs over virtio-9p: find the devices, read each mount tag from the config space and mount
 * the export there (the runner sets the tag to the guest path, see docs/fs.md). */
#include <uk/core.h>
#include <uk/virtio.h>
#include <uk/9pfs.h>

#define MAX_VOLUMES 8
#define P9_MSIZE (65536 + 4096)
#define VIRTIO_9P_MOUNT_TAG 1ULL
#define TAG_MAX 64

static struct uk_virtio_dev devs[MAX_VOLUMES];

/* A kernel token vol.<tag>=<guest path> (uk_core_boot_param) mounts a volume at a path longer
 * than QEMU's 31-byte tag limit. */

static long xfer(void *dev, const void *req, uint32_t len, void *resp, uint32_t cap)
{
	struct uk_virtio_buf b[2] = { { (void *)req, len }, { resp, cap } };

	return uk_virtio_xfer(dev, b, 1, 1);
}

/* The mount point for a tag: a vol.<tag> boot parameter, else the tag itself when absolute,
 * else /mnt/<tag>. Returns a pointer to `out` or to the parameter's value. */
static const char *tag_path(struct uk_virtio_dev *d, char *out)
{
	unsigned n = uk_virtio_cfg8(d, 0) | (unsigned)uk_virtio_cfg8(d, 1) << 8, i, at = 0;
	char key[TAG_MAX + 4] = "vol.";
	const char *param;

	if (n > TAG_MAX - 6)
		n = TAG_MAX - 6;
	for (i = 0; i < n; i++)
		key[4 + i] = (char)uk_virtio_cfg8(d, 2 + i);
	key[4 + n] = 0;
	param = uk_core_boot_param(key);
	if (param && param[0] == '/')
		return param;
	if (!n || key[4] != '/') {
		memcpy(out, "/mnt/", 5);
		at = 5;
	}
	memcpy(out + at, key + 4, n + 1);
	return out;
}

long uk_9pfs_init(void)
{
	int n = uk_virtio_find(UK_VIRTIO_ID_9P, devs, MAX_VOLUMES), i;
	char buf[TAG_MAX];
	const char *path;
	long err, result = 0;

	for (i = 0; i < n; i++) {
		err = uk_virtio_start(&devs[i], VIRTIO_9P_MOUNT_TAG, 8);
		path = tag_path(&devs[i], buf);
		if (!err)
			err = uk_9pfs_mount(path, xfer, &devs[i], P9_MSIZE);
		if (err) {
			uk_core_log(UK_LOG_ERR, "9pfs: cannot mount the volume tagged %s: error %ld", path, -err);
			result = err;
		} else {
			uk_core_log(UK_LOG_INFO, "9pfs: host volume mounted at %s", path);
		}
	}
	return result;
}
