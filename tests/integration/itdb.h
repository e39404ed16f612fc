/* itdb.h - for the test_fe_* integration tests: the frontend's synchronous
 * `struct db` (no fiber) on with_redis.sh's server, as cmocka group setup
 * and teardown. */
#ifndef STAGE_TEST_ITDB_H
#define STAGE_TEST_ITDB_H

#include "config.h"
#include "db.h"

extern struct config itdb_cfg; /* defaults, redis.url the test's server */
extern struct db itdb;

/* 0, or -1 (and why on stderr) outside with_redis.sh. */
int itdb_group_setup(void **st);
int itdb_group_teardown(void **st);

#endif
