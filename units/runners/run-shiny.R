# Corral runner for Shiny content (app modes "shiny" and "rmd-shiny").
# Started by corrald inside the content's transient unit, working directory /opt/corral/mnt/app.
# Usage: Rscript run-shiny.R --port PORT --mode MODE [--entry FILE]

args <- commandArgs(trailingOnly = TRUE)
opt <- function(name, default = NULL) {
  i <- match(name, args)
  if (is.na(i) || i == length(args)) default else args[[i + 1]]
}
port <- as.integer(opt("--port", Sys.getenv("CORRAL_PORT")))
mode <- opt("--mode", "shiny")
entry <- opt("--entry")
if (is.na(port)) stop("corral: no port given (--port or CORRAL_PORT)")

# Content must never try to open a browser on the server.
options(browser = function(...) invisible(NULL), shiny.launch.browser = FALSE)

cat(sprintf("corral: starting %s content in %s on 127.0.0.1:%d\n", mode, getwd(), port))
if (identical(mode, "rmd-shiny")) {
  file <- if (is.null(entry)) {
    rmds <- list.files(".", pattern = "\\.[Rr]md$")
    if (length(rmds) == 0) stop("corral: no .Rmd file in the bundle")
    if ("index.Rmd" %in% rmds) "index.Rmd" else rmds[[1]]
  } else entry
  rmarkdown::run(file, shiny_args = list(port = port, host = "127.0.0.1", launch.browser = FALSE))
} else {
  app <- if (is.null(entry)) "." else entry
  shiny::runApp(app, port = port, host = "127.0.0.1", launch.browser = FALSE)
}
