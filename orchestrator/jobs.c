/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "jobs.h"
#include "log.h"
#include "process-kind.h"
#include "unit-name.h"

struct Job {
        Job *next;
        char key[JOB_KEY_LENGTH + 1];
        char *unit;
        char *workspace;
        char *credential;
        char *stop_cause;
        JobDone done;
        void *userdata;
};

const char *process_end_from_status(const UnitStatus *st, const char *stop_cause, ProcessEnd *end) {
        end->exit_code = -1;
        end->signal = 0;
        end->raw_status = st->exec_main_status;
        end->result = st->result[0] ? st->result : NULL;
        if (st->exec_main_code == CLD_EXITED)
                end->exit_code = st->exec_main_status;
        else if (st->exec_main_code == CLD_KILLED || st->exec_main_code == CLD_DUMPED)
                end->signal = st->exec_main_status;
        if (streq(st->result, "oom-kill"))
                end->cause = "oom";
        else if (stop_cause)
                end->cause = stop_cause;
        else if (st->exec_main_code == CLD_EXITED && st->exec_main_status == 217)
                end->cause = "user";
        else if (st->exec_main_code == CLD_EXITED && st->exec_main_status == 224) {
                end->exit_code = 70; /* the seed's code for a PAM session that could not open */
                end->cause = "pam";
        } else if (streq(st->result, "start-refused"))
                end->cause = "start failed";
        else if (end->signal)
                end->cause = "signal";
        else
                end->cause = "exited";
        return end->cause;
}

static Job *job_find(Manager *m, const char *key, const char *unit) {
        for (Job *j = m->jobs; j; j = j->next)
                if ((key && streq(j->key, key)) || (unit && streq(j->unit, unit)))
                        return j;
        return NULL;
}

static void job_unlink(Manager *m, Job *job) {
        for (Job **j = &m->jobs; *j; j = &(*j)->next)
                if (*j == job) {
                        *j = job->next;
                        return;
                }
}

static Job *job_free(Job *j) {
        if (!j)
                return NULL;
        free(j->unit);
        free(j->workspace);
        free(j->credential);
        free(j->stop_cause);
        free(j);
        return NULL;
}

/* The end of a job: record, clean up, tell the caller. */
static void job_ended(Manager *m, Job *j, const UnitStatus *st) {
        ProcessEnd end = {};
        int r;

        (void) process_end_from_status(st, j->stop_cause, &end);
        r = store_process_finish(m->store, j->key, &end);
        if (r < 0)
                log_warning_errno(r, "Failed to record the end of %s, ignoring: %m", j->unit);
        log_info("%s ended: %s %d, cause %s.", j->unit, end.signal ? "signal" : "exit code",
                 end.signal ? end.signal : end.exit_code, end.cause);
        job_unlink(m, j);
        launch_remove_files(j->workspace, j->credential);
        if (j->done)
                j->done(m, j->key, &end, j->userdata);
        job_free(j);
}

void jobs_on_unit_changed(Manager *m, const char *unit, const UnitStatus *st) {
        Job *j = job_find(m, NULL, unit);
        if (!j)
                return;
        if (st->main_pid)
                (void) store_process_set_pid(m->store, j->key, st->main_pid);
        if (st->ended)
                job_ended(m, j, st);
}

static int on_start_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        char *cookie = userdata;
        Manager *m = *(Manager **) (cookie + JOB_KEY_LENGTH + 1);
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        Job *j = job_find(m, cookie, NULL);

        free(cookie);
        if (!j || !e)
                return 0;
        log_error("systemd refused to start %s: %s", j->unit, e->message);
        UnitStatus st = { .ended = true };
        (void) snprintf(st.active_state, sizeof st.active_state, "failed");
        (void) snprintf(st.result, sizeof st.result, "start-refused");
        job_ended(m, j, &st);
        return 0;
}

int job_start(Manager *m, LaunchRequest *req, JobDone done, void *userdata, char *ret_key, char **ret_error) {
        _cleanup_(launch_freep) Launch *l = NULL;
        char key[JOB_KEY_LENGTH + 1];
        Job *j;
        int r;

        /* A caller that must prepare files named after the job (a render's source copy) picks the key. */
        if (req->job_key && job_key_is_valid(req->job_key))
                memcpy(key, req->job_key, sizeof key);
        else {
                r = job_key_new(key, sizeof key);
                if (r < 0)
                        return r;
        }
        req->job_key = key;
        r = launch_prepare(m, req, &l, ret_error);
        if (r < 0)
                return r;
        j = calloc(1, sizeof *j);
        if (!j) {
                launch_remove_files(l->workspace, l->credential);
                return -ENOMEM;
        }
        memcpy(j->key, key, sizeof key);
        j->unit = strdup(l->unit->name);
        j->workspace = TAKE_PTR(l->workspace);
        j->credential = TAKE_PTR(l->credential);
        j->done = done;
        j->userdata = userdata;
        if (!j->unit) {
                launch_remove_files(j->workspace, j->credential);
                job_free(j);
                return -ENOMEM;
        }
        ProcessRecord rec = {
                .key = key, .content_id = req->content->id, .bundle_id = req->content->bundle_id,
                .tag = process_kind_to_tag(req->kind), .unit = j->unit, .run_as = l->run_as, .hostname = m->hostname,
        };
        r = store_process_insert(m->store, &rec);
        char *cookie = r >= 0 ? malloc(JOB_KEY_LENGTH + 1 + sizeof(Manager *)) : NULL;
        if (cookie) {
                memcpy(cookie, key, JOB_KEY_LENGTH + 1);
                memcpy(cookie + JOB_KEY_LENGTH + 1, &m, sizeof m);
                r = systemd_start_unit(m->bus, l->unit, on_start_reply, cookie);
                if (r < 0)
                        free(cookie);
        } else if (r >= 0)
                r = -ENOMEM;
        if (r < 0) {
                ProcessEnd end = { .exit_code = -1, .cause = "start failed" };
                (void) store_process_finish(m->store, key, &end);
                launch_remove_files(j->workspace, j->credential);
                job_free(j);
                return log_error_errno(r, "Cannot start job %s: %m", rec.unit);
        }
        log_info("Starting %s as %s for '%s'.", j->unit, l->run_as, req->content->title);
        j->next = m->jobs;
        m->jobs = j;
        memcpy(ret_key, key, sizeof key);
        req->job_key = NULL;
        return 0;
}

int job_stop(Manager *m, const char *key, const char *cause) {
        Job *j = job_find(m, key, NULL);
        if (!j)
                return -ENOENT;
        if (!j->stop_cause)
                j->stop_cause = strdup(cause);
        return systemd_stop_unit(m->bus, j->unit);
}

bool job_is_running(Manager *m, const char *key) {
        return job_find(m, key, NULL) != NULL;
}

void jobs_free_all(Manager *m) {
        Job *j;
        while ((j = m->jobs)) {
                m->jobs = j->next;
                job_free(j);
        }
}
