/*
 * core/fileio.h: the few POSIX file loops every module needs.
 *
 * Owns: writing a whole buffer to a descriptor (retrying EINTR and short
 * writes). Does not own: opening, syncing or closing files.
 * Threads: any thread.
 */
#ifndef SOL_CORE_FILEIO_H
#define SOL_CORE_FILEIO_H

#include <stddef.h>

#include "core/err.h"

/* Writes all `n` bytes of `p` to `fd`. Returns SE_OK or SE_IO (errno kept). */
enum err fio_write_all(int fd, const void *p, size_t n) __attribute__((warn_unused_result));

#endif /* SOL_CORE_FILEIO_H */
