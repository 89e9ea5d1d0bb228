/* spt.h: plat/spt's own shared names (not part of the contract, not for other libraries). */
#ifndef UK_PLAT_SPT_PRIV_H
#define UK_PLAT_SPT_PRIV_H
#include <uk/plat.h>
#include <uk/spt.h>

void uk_plat_spt_clock_init(const struct uk_spt_boot *boot);
void uk_plat_spt_write_all(int fd, const void *buf, size_t len); /* to a host fd, retrying short writes */
long uk_plat_spt_volume_call(long nr, long a0, long a1, long a2, long a3, long a4); /* lib/hostfs's gate (uk/hostfs.h) */
#endif
