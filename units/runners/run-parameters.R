# Corral runner for configure_report: serves the parameter form of a parameterized R Markdown
# document (rmarkdown::knit_params_ask) on the assigned port, as an on-demand process under the
# scheduler. Each time a visitor saves, the chosen parameters are logged (the unit's journal) and
# the form is served again; `corralctl variant set` stores them as a variant.
# Usage: Rscript run-parameters.R --port PORT [--entry FILE.Rmd]

args <- commandArgs(trailingOnly = TRUE)
opt <- function(name, default = NULL) {
  i <- match(name, args)
  if (is.na(i) || i == length(args)) default else args[[i + 1]]
}
port <- as.integer(opt("--port", Sys.getenv("CORRAL_PORT")))
if (is.na(port)) stop("corral: no port given (--port or CORRAL_PORT)")
entry <- opt("--entry")
file <- if (!is.null(entry)) entry else {
  rmds <- list.files(".", pattern = "\\.[Rr]md$")
  if (length(rmds) == 0) stop("corral: no .Rmd file in the bundle")
  if ("index.Rmd" %in% rmds) "index.Rmd" else rmds[[1]]
}
options(browser = function(...) invisible(NULL), shiny.launch.browser = FALSE)

cat(sprintf("corral: parameter form of %s on 127.0.0.1:%d\n", file, port))
repeat {
  chosen <- rmarkdown::knit_params_ask(file, shiny_args = list(port = port, host = "127.0.0.1",
                                                               launch.browser = FALSE))
  if (is.null(chosen)) {
    cat("corral: the parameter form was cancelled\n")
  } else {
    cat("corral: parameters chosen:", as.character(jsonlite::toJSON(chosen, auto_unbox = TRUE)), "\n")
  }
  flush(stdout())
}
