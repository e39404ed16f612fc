/* putresume.c - picking the paused upload to resume (see putresume.h). */
#include "putresume.h"

#include <string.h>

int putresume_pick(Stage__V1__Job *const *jobs, size_t n, const char *loc, int64_t size,
                   int64_t now_ms)
{
    for (size_t i = 0; i < n; i++) {
        const Stage__V1__Job *j = jobs[i];
        if (j->kind != STAGE__V1__JOB_KIND__UPLOAD || j->resume_until <= now_ms ||
            j->bytes_total != size || strcmp(j->location, loc) != 0)
            continue;
        if (j->state != STAGE__V1__JOB_STATE__QUEUED && j->state != STAGE__V1__JOB_STATE__RUNNING)
            continue;
        return (int)i;
    }
    return -1;
}

int64_t putresume_offset(int64_t offset, int64_t size)
{
    return offset > 0 && offset <= size ? offset : 0;
}
