/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "pam-auth.h"
#include "strv.h"

typedef struct Conversation {
        const char *password;
} Conversation;

/* Answers every hidden-input prompt with the password; visible prompts get the same (some
 * stacks ask for "Password:" as echo-on), messages get nothing. */
static int conversation(int n, const struct pam_message **msg, struct pam_response **resp, void *appdata) {
        Conversation *c = appdata;
        struct pam_response *r;

        if (n <= 0 || n > PAM_MAX_NUM_MSG)
                return PAM_CONV_ERR;
        r = calloc((size_t) n, sizeof *r);
        if (!r)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF && msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
                        continue;
                r[i].resp = strdup(c->password);
                if (!r[i].resp) {
                        for (int j = 0; j < i; j++)
                                if (r[j].resp) {
                                        explicit_bzero(r[j].resp, strlen(r[j].resp));
                                        free(r[j].resp);
                                }
                        free(r);
                        return PAM_BUF_ERR;
                }
        }
        *resp = r;
        return PAM_SUCCESS;
}

/* The one place PAM's results become errno. */
static int errno_from_pam(int rc) {
        switch (rc) {
        case PAM_SUCCESS:
                return 0;
        case PAM_AUTH_ERR:
        case PAM_USER_UNKNOWN:
        case PAM_CRED_INSUFFICIENT:
        case PAM_MAXTRIES:
                return -EACCES;
        case PAM_ACCT_EXPIRED:
        case PAM_NEW_AUTHTOK_REQD:
        case PAM_CRED_EXPIRED:
        case PAM_AUTHTOK_EXPIRED:
                return -EKEYEXPIRED;
        case PAM_PERM_DENIED:
                return -EPERM;
        case PAM_BUF_ERR:
                return -ENOMEM;
        default:
                return -EIO;
        }
}

static void set_error(char **ret_error, pam_handle_t *h, int rc) {
        if (!ret_error)
                return;
        free(*ret_error);
        *ret_error = strdup(h ? pam_strerror(h, rc) : "PAM could not start");
}

static void pam_endp(pam_handle_t **h) {
        if (*h)
                (void) pam_end(*h, PAM_SUCCESS);
}

static int pam_begin(const char *service, const char *user, Conversation *c, pam_handle_t **ret, char **ret_error) {
        struct pam_conv conv = { .conv = conversation, .appdata_ptr = c };
        pam_handle_t *h = NULL;
        int rc;

        if (!service || !user || !*user || !c->password)
                return -EINVAL;
        rc = pam_start(service, user, &conv, &h);
        if (rc != PAM_SUCCESS) {
                set_error(ret_error, h, rc);
                if (h)
                        (void) pam_end(h, rc);
                return errno_from_pam(rc);
        }
        *ret = h;
        return 0;
}

int pam_check_password(const char *service, const char *user, const char *password, char **ret_error) {
        _cleanup_(pam_endp) pam_handle_t *h = NULL;
        Conversation c = { .password = password };
        int rc, r;

        r = pam_begin(service, user, &c, &h, ret_error);
        if (r < 0)
                return r;
        rc = pam_authenticate(h, PAM_DISALLOW_NULL_AUTHTOK);
        if (rc == PAM_SUCCESS)
                rc = pam_acct_mgmt(h, PAM_DISALLOW_NULL_AUTHTOK);
        if (rc != PAM_SUCCESS)
                set_error(ret_error, h, rc);
        return errno_from_pam(rc);
}

int pam_establish_credentials(const char *service, const char *user, const char *password, char ***ret_env,
                              char **ret_error) {
        _cleanup_(pam_endp) pam_handle_t *h = NULL;
        _cleanup_strv_free_ char **env = NULL;
        Conversation c = { .password = password };
        char **list;
        int rc, r;

        r = pam_begin(service, user, &c, &h, ret_error);
        if (r < 0)
                return r;
        rc = pam_authenticate(h, PAM_DISALLOW_NULL_AUTHTOK);
        if (rc == PAM_SUCCESS)
                rc = pam_acct_mgmt(h, PAM_DISALLOW_NULL_AUTHTOK);
        if (rc == PAM_SUCCESS)
                rc = pam_setcred(h, PAM_ESTABLISH_CRED);
        if (rc != PAM_SUCCESS) {
                set_error(ret_error, h, rc);
                return errno_from_pam(rc);
        }
        env = calloc(1, sizeof(char *));
        if (!env)
                return -ENOMEM;
        list = pam_getenvlist(h);
        for (char **e = list; e && *e; e++) {
                if (strv_consume(&env, *e) < 0) {
                        for (char **f = e + 1; *f; f++)
                                free(*f);
                        free(list);
                        return -ENOMEM;
                }
        }
        free(list);
        *ret_env = TAKE_PTR(env);
        return 0;
}
