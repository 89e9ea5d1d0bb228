/* uk/posix-mm.h: memory syscall helpers. A file-system library may provide uk_mmap_file()
 * (a strong definition replaces the weak one that answers -ENODEV). */
#ifndef UK_POSIX_MM_H
#define UK_POSIX_MM_H
long uk_mmap_file(long addr, long len, long prot, long flags, long fd, long off);
#endif
