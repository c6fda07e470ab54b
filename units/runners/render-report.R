# Corral runner for report renders (build_report, build_site; spec §10).
# Started by corrald inside the render's transient unit. A document renders from its private source
# copy (working directory /opt/corral/mnt/app) into the new output dir; a site renders in place in
# the output dir, where corrald copied its source (corrald moves the site's output_dir to the root
# afterwards). The name of the primary output is left in OUTPUT/.corral-primary for corrald.
# Usage: Rscript render-report.R --mode document|site --output DIR [--entry FILE] [--params JSON]

args <- commandArgs(trailingOnly = TRUE)
opt <- function(name, default = NULL) {
  i <- match(name, args)
  if (is.na(i) || i == length(args)) default else args[[i + 1]]
}
mode <- opt("--mode", "document")
output <- opt("--output", "/opt/corral/mnt/report")
entry <- opt("--entry")
params_json <- opt("--params")

options(browser = function(...) invisible(NULL))

# Parameters: a JSON object (jsonlite comes with rmarkdown).
read_params <- function(text) {
  if (is.null(text) || !nzchar(text)) return(NULL)
  jsonlite::fromJSON(text, simplifyVector = TRUE)
}
params <- read_params(params_json)

primary_of <- function(dir) {
  rmds <- list.files(dir, pattern = "\\.[Rr]md$")
  if (length(rmds) == 0) stop("corral: no .Rmd file in the bundle")
  if ("index.Rmd" %in% rmds) "index.Rmd" else rmds[[1]]
}

cat(sprintf("corral: rendering %s in %s into %s\n", mode, getwd(), output))
if (length(params) > 0)
  cat(sprintf("corral: parameters: %s\n", paste(names(params), collapse = ", ")))

if (identical(mode, "site")) {
  result <- rmarkdown::render_site(".", quiet = FALSE)
  primary <- "index.html"
} else {
  input <- if (is.null(entry)) primary_of(".") else entry
  result <- rmarkdown::render(input, output_dir = output, params = params, envir = new.env(),
                              intermediates_dir = tempdir(), knit_root_dir = getwd(), quiet = FALSE)
  primary <- basename(result)
}
writeLines(primary, file.path(output, ".corral-primary"))
cat(sprintf("corral: rendered %s\n", primary))
