/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "worker.h"

typedef struct Work {
        WorkerFn fn;
        WorkerDone done;
        void *arg;
        int notify_fd;
} Work;

static void *thread_main(void *p) {
        Work *w = p;

        w->fn(w->arg);
        /* A pointer is far below PIPE_BUF: the write is atomic. If it fails (corrald is exiting),
         * the work is simply lost. */
        ssize_t k;
        do
                k = write(w->notify_fd, &w, sizeof w);
        while (k < 0 && errno == EINTR);
        return NULL;
}

static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        Work *w;

        for (;;) {
                ssize_t k = read(fd, &w, sizeof w);
                if (k != (ssize_t) sizeof w)
                        return 0;
                if (m->n_workers > 0)
                        m->n_workers--;
                w->done(m, w->arg);
                free(w);
        }
}

int worker_setup(Manager *m) {
        int r;

        if (pipe2(m->worker_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        /* The writing side blocks: a finished worker must not lose its hand-off. */
        int flags = fcntl(m->worker_pipe[1], F_GETFL);
        if (flags < 0 || fcntl(m->worker_pipe[1], F_SETFL, flags & ~O_NONBLOCK) < 0)
                return -errno;
        r = sd_event_add_io(m->event, &m->worker_source, m->worker_pipe[0], EPOLLIN, on_notify, m);
        if (r < 0)
                return r;
        return 0;
}

void worker_done(Manager *m) {
        m->worker_source = sd_event_source_disable_unref(m->worker_source);
        m->worker_pipe[0] = safe_close(m->worker_pipe[0]);
        m->worker_pipe[1] = safe_close(m->worker_pipe[1]);
}

int worker_run(Manager *m, WorkerFn fn, WorkerDone done, void *arg) {
        pthread_attr_t attr;
        pthread_t t;
        Work *w;
        int r;

        if (m->n_workers >= WORKER_MAX)
                return -EBUSY;
        w = malloc(sizeof *w);
        if (!w)
                return -ENOMEM;
        *w = (Work) { .fn = fn, .done = done, .arg = arg, .notify_fd = m->worker_pipe[1] };
        (void) pthread_attr_init(&attr);
        (void) pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        r = pthread_create(&t, &attr, thread_main, w);
        (void) pthread_attr_destroy(&attr);
        if (r != 0) {
                free(w);
                return -r;
        }
        m->n_workers++;
        return 0;
}
