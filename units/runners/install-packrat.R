# Corral installer for R content (packrat_restore, spec §11).
# Started by corrald as Applications.RunAs in a transient unit where MountDir/packrat (the package
# cache) and MountDir/R (the installer's build library) are read-write and the bundle read-only.
#
# Usage: Rscript install-packrat.R --cache DIR --build DIR --bundle-lib C/B
#                                  [--package NAME VERSION SOURCE REPO-URL]...
#
# The cache holds one dir per package version and R version, CACHE/<R version>/v2/library/<name>/<version>/<name>,
# shared by every bundle and never rebuilt once there. A bundle's library is a dir of relative
# symlinks into it, CACHE/bundles/<C>/<B>, which the bundle's processes get as R_LIBS, read-only.
# Packages missing from the cache are downloaded from their repository (src/contrib, or
# src/contrib/Archive for older versions; file:// works), built in BUILD/<R version>/build-<job>
# in dependency order, then moved into the cache. The last line says how it ended.

args <- commandArgs(trailingOnly = TRUE)
opt <- function(name, default = NULL) {
  i <- match(name, args)
  if (is.na(i) || i == length(args)) default else args[[i + 1]]
}
say <- function(...) {
  cat("corral: ", sprintf(...), "\n", sep = "")
  flush(stdout())
}
die <- function(...) {
  if (exists("build_lib")) unlink(build_lib, recursive = TRUE)
  cat("ERROR: ", sprintf(...), "\n", sep = "")
  cat("corral: package installation failed\n")
  flush(stdout())
  quit(save = "no", status = 1)
}

cache <- opt("--cache")
build_root <- opt("--build")
bundle_lib_name <- opt("--bundle-lib")
job <- Sys.getenv("CORRAL_JOB_KEY", "job")
if (is.null(cache) || is.null(build_root) || is.null(bundle_lib_name)) die("usage: --cache, --build and --bundle-lib are required")

plan <- list()
for (i in which(args == "--package")) {
  if (i + 4 > length(args)) die("--package needs NAME VERSION SOURCE REPO-URL")
  plan[[length(plan) + 1]] <- list(name = args[[i + 1]], version = args[[i + 2]], source = args[[i + 3]],
                                   repo = args[[i + 4]])
}
names(plan) <- vapply(plan, `[[`, "", "name")

r_version <- paste(R.version$major, R.version$minor, sep = ".")
library_root <- file.path(cache, r_version, "v2", "library")
build_lib <- file.path(build_root, r_version, paste0("build-", job))
dir.create(library_root, recursive = TRUE, showWarnings = FALSE)
say("installing %d package(s) for R %s; package cache %s", length(plan), r_version, library_root)

# Configure scripts run from TMPDIR: a noexec TMPDIR breaks them (spec §11).
tmp <- tempdir()
probe <- file.path(tmp, "corral-exec-probe.sh")
writeLines(c("#!/bin/sh", "exit 0"), probe)
Sys.chmod(probe, "0755")
tmp_noexec <- suppressWarnings(system2(probe, stdout = FALSE, stderr = FALSE)) != 0
unlink(probe)
if (tmp_noexec)
  say("WARNING: TMPDIR %s does not allow running programs (mounted noexec): packages with a configure script cannot be built. Set Server.TempDir to a dir on a filesystem without noexec.", Sys.getenv("TMPDIR"))

cached_dir <- function(p) file.path(library_root, p$name, p$version)
in_cache <- function(p) file.exists(file.path(cached_dir(p), p$name, "DESCRIPTION"))
# A package of the same version in the R installation's own libraries needs no install.
in_system <- function(p) {
  for (lib in c(.Library.site, .Library)) {
    d <- file.path(lib, p$name, "DESCRIPTION")
    if (file.exists(d)) {
      v <- tryCatch(read.dcf(d, fields = "Version")[1, 1], error = function(e) NA)
      if (identical(unname(v), p$version)) return(TRUE)
    }
  }
  FALSE
}

todo <- list()
for (p in plan) {
  if (in_cache(p)) {
    say("%s %s: already in the cache, reused", p$name, p$version)
  } else if (in_system(p)) {
    say("%s %s: provided by the R installation", p$name, p$version)
  } else {
    todo[[p$name]] <- p
  }
}

download <- function(p, dest) {
  if (identical(p$repo, "-"))
    die("package '%s' %s comes from '%s', which names no repository URL and has no entry in R.Repositories",
        p$name, p$version, p$source)
  base <- sub("/+$", "", p$repo)
  file <- sprintf("%s_%s.tar.gz", p$name, p$version)
  urls <- c(sprintf("%s/src/contrib/%s", base, file), sprintf("%s/src/contrib/Archive/%s/%s", base, p$name, file))
  why <- character()
  for (u in urls) {
    ok <- tryCatch(suppressWarnings(download.file(u, dest, quiet = TRUE, mode = "wb")) == 0,
                   error = function(e) { why <<- c(why, conditionMessage(e)); FALSE })
    if (ok && file.exists(dest) && file.size(dest) > 0) return(u)
  }
  die("package '%s' version %s is not in repository '%s' (%s): no %s in src/contrib or src/contrib/Archive/%s (%s)",
      p$name, p$version, p$source, p$repo, file, p$name, paste(unique(why), collapse = "; "))
}

# Download what is missing, and learn its dependencies from its DESCRIPTION.
src_dir <- file.path(tmp, "corral-src")
dir.create(src_dir, showWarnings = FALSE)
deps <- list()
has_configure <- list()
for (p in todo) {
  tarball <- file.path(src_dir, sprintf("%s_%s.tar.gz", p$name, p$version))
  url <- download(p, tarball)
  say("%s %s: downloaded %s", p$name, p$version, url)
  members <- untar(tarball, list = TRUE)
  has_configure[[p$name]] <- paste0(p$name, "/configure") %in% members
  exdir <- file.path(src_dir, paste0(p$name, "-desc"))
  untar(tarball, files = paste0(p$name, "/DESCRIPTION"), exdir = exdir)
  desc <- read.dcf(file.path(exdir, p$name, "DESCRIPTION"))
  fields <- intersect(c("Depends", "Imports", "LinkingTo"), colnames(desc))
  needs <- unlist(lapply(fields, function(f) strsplit(desc[1, f], ",")[[1]]))
  needs <- trimws(sub("\\(.*", "", needs))
  deps[[p$name]] <- intersect(needs[nzchar(needs)], names(todo))
  todo[[p$name]]$tarball <- tarball
}

# Dependency order.
order <- character()
while (length(order) < length(todo)) {
  ready <- setdiff(names(todo)[vapply(names(todo), function(n) all(deps[[n]] %in% order), TRUE)], order)
  if (length(ready) == 0) die("circular dependencies among: %s", paste(setdiff(names(todo), order), collapse = ", "))
  order <- c(order, ready)
}

lib_dirs <- function() {
  dirs <- vapply(plan, function(p) cached_dir(p), "")
  dirs[file.exists(dirs)]
}

dir.create(build_lib, recursive = TRUE, showWarnings = FALSE)
r_bin <- file.path(R.home("bin"), "R")
for (n in order) {
  p <- todo[[n]]
  say("%s %s: building from source", p$name, p$version)
  Sys.setenv(R_LIBS = paste(c(build_lib, lib_dirs()), collapse = ":"))
  status <- system2(r_bin, c("CMD", "INSTALL", "--no-docs", "--no-multiarch", "-l", shQuote(build_lib),
                             shQuote(p$tarball)))
  if (status != 0) {
    if (isTRUE(has_configure[[n]]) && tmp_noexec)
      die("the configure step of '%s' could not run: TMPDIR %s is mounted noexec. Set Server.TempDir to a dir on a filesystem without noexec.",
          n, Sys.getenv("TMPDIR"))
    die("building '%s' %s failed (R CMD INSTALL exit status %d)", p$name, p$version, status)
  }
  # Into the cache: copy beside the final name, then rename, so no half-copied package is seen.
  final <- cached_dir(p)
  staging <- file.path(library_root, p$name, paste0(".tmp-", job))
  dir.create(staging, recursive = TRUE, showWarnings = FALSE)
  if (!file.copy(file.path(build_lib, p$name), staging, recursive = TRUE))
    die("cannot copy '%s' into the package cache %s", p$name, staging)
  unlink(file.path(build_lib, p$name), recursive = TRUE)
  if (!file.rename(staging, final)) {
    unlink(staging, recursive = TRUE)
    if (!in_cache(p)) die("cannot move '%s' into the package cache %s", p$name, final)
  }
  say("%s %s: installed into the cache", p$name, p$version)
}

unlink(build_lib, recursive = TRUE)

# The bundle's library: relative links into the cache, replaced as a whole.
bundle_lib <- file.path(cache, "bundles", bundle_lib_name)
staging <- paste0(bundle_lib, ".tmp-", job)
unlink(staging, recursive = TRUE)
dir.create(staging, recursive = TRUE, showWarnings = FALSE)
for (p in plan) {
  if (!in_cache(p)) next
  up <- paste(rep("..", length(strsplit(bundle_lib_name, "/")[[1]]) + 1), collapse = "/")
  target <- file.path(up, r_version, "v2", "library", p$name, p$version, p$name)
  if (!file.symlink(target, file.path(staging, p$name))) die("cannot link '%s' into the bundle library", p$name)
}
unlink(bundle_lib, recursive = TRUE)
if (!file.rename(staging, bundle_lib)) die("cannot create the bundle library %s", bundle_lib)

# Every package must now load from the bundle's library (or the R installation).
.libPaths(c(bundle_lib, .libPaths()))
for (p in plan) {
  v <- tryCatch(as.character(packageVersion(p$name)), error = function(e) NA)
  if (!identical(v, as.character(package_version(p$version)))) die("package '%s' %s is not loadable after installation (found %s)", p$name, p$version, v)
}
say("packages installed: %d built, %d reused", length(order), length(plan) - length(order))
