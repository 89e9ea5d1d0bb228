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

static long xfer(void *dev, const void *req, uint32_t len, void *resp, uint32_t cap)
{
	struct uk_virtio_buf b[2] = { { (void *)req, len }, { resp, cap } };

	return uk_virtio_xfer(dev, b, 1, 1);
}

/* The mount point for a tag: the tag itself when absolute, else /mnt/<tag>. */
static void tag_path(struct uk_virtio_dev *d, char *out)
{
	unsigned n = uk_virtio_cfg8(d, 0) | (unsigned)uk_virtio_cfg8(d, 1) << 8, i, at = 0;

	if (n >= TAG_MAX - 6)
		n = TAG_MAX - 6;
	if (!n || uk_virtio_cfg8(d, 2) != '/') {
		memcpy(out, "/mnt/", 5);
		at = 5;
	}
	for (i = 0; i < n; i++)
		out[at + i] = (char)uk_virtio_cfg8(d, 2 + i);
	out[at + n] = 0;
}

long uk_9pfs_init(void)
{
	int n = uk_virtio_find(UK_VIRTIO_ID_9P, devs, MAX_VOLUMES), i;
	char path[TAG_MAX];
	long err, result = 0;

	for (i = 0; i < n; i++) {
		err = uk_virtio_start(&devs[i], VIRTIO_9P_MOUNT_TAG, 8);
		tag_path(&devs[i], path);
		if (!err)
			err = uk_9pfs_mount(path, xfer, &devs[i], P9_MSIZE);
		if (err) {
			uk_log(UK_LOG_ERR, "9pfs: cannot mount the volume tagged %s: error %ld", path, -err);
			result = err;
		} else {
			uk_log(UK_LOG_INFO, "9pfs: host volume mounted at %s", path);
		}
	}
	return result;
}
