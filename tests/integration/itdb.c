/* itdb.c - the test_fe_* tests' struct db (see itdb.h). */
#include "itdb.h"

#include "itredis.h"

struct config itdb_cfg;
struct db itdb;

int itdb_group_setup(void **st)
{
    (void)st;
    if (itredis_config(&itdb_cfg) != 0)
        return -1;
    db_init(&itdb, &itdb_cfg); /* no fiber here: a synchronous connection */
    return 0;
}

int itdb_group_teardown(void **st)
{
    (void)st;
    db_cleanup(&itdb);
    return 0;
}
