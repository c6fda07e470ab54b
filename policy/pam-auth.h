/* SPDX-License-Identifier: MIT */
#pragma once

/* PAM transactions corrald runs itself (spec §4, §13): checking a login password, and opening the
 * credentials of a current-user process with a forwarded password. Both block (PAM modules may
 * talk to the network): callers run them off the event loop. PAM's error space is mapped to
 * errno here and nowhere else. */

#include "macro.h"

/* Authenticates user with password against service (pam_authenticate + pam_acct_mgmt).
 * 0 on success; -EACCES for a wrong password or unknown user, -EKEYEXPIRED for an expired
 * account or password, -EPERM when the account may not log in, -EIO for other PAM failures;
 * *ret_error (may be NULL) gets PAM's message. Never logs the password. */
int pam_check_password(const char *service, const char *user, const char *password, char **ret_error);

/* Authenticates user with password against service and establishes its credentials
 * (pam_setcred ESTABLISH), then returns the PAM environment (NAME=VALUE strv, e.g. KRB5CCNAME) in
 * *ret_env. The transaction is ended before returning; what pam_setcred made (a ticket cache
 * file) stays for the process to use. Errors as pam_check_password(). */
int pam_establish_credentials(const char *service, const char *user, const char *password, char ***ret_env,
                              char **ret_error);
