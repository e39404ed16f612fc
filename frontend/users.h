/* users.h - user administration in Redis (docs/design.md §3): st:user:<name> hashes
 * {pwhash, salt, iter, admin, gen, created_on[, create_stage]}.
 *
 * `gen` starts at the creation time in ms and grows by one on every password
 * change, so a token of a dropped user does not come back to life when a
 * user of the same name is created again. Dropping a user also removes the
 * user's grants. Blocking, on the handler thread's `struct db`; errors are
 * st_err with the text in db->err. Passwords are hashed here (cred.h) and
 * never stored or logged in clear. */
#ifndef STAGE_FE_USERS_H
#define STAGE_FE_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

struct user_info {
    char name[72];
    bool admin;
    int64_t created_on;
};

/* Create a user. ST_EEXIST unless `if_not_exists` (then 0, *created false). */
int users_create(struct db *db, const char *name, const char *password, bool admin,
                 bool if_not_exists, bool *created);

/* Drop a user and its grants. ST_ENOTFOUND unless `if_exists`. */
int users_drop(struct db *db, const char *name, bool if_exists, bool *dropped);

/* Change the password (NULL or "": unchanged; a change revokes every token)
 * and, if `set_admin`, the admin flag. ST_ENOTFOUND. */
int users_alter(struct db *db, const char *name, const char *password, bool set_admin, bool admin);

/* One user's public fields. ST_ENOTFOUND. */
int users_get(struct db *db, const char *name, struct user_info *out);

/* Every user, sorted by name; malloc'd array. */
int users_list(struct db *db, struct user_info **out, size_t *n);

#endif
