// lifecheck matrix MODEL... : every property of every model, as a revision x property table.
#include <unistd.h>

#include <iostream>

#include "checker/report/matrix.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "model/frontend.h"

namespace lc::cli {

namespace {

struct MatrixArgs {
  std::vector<std::string> models;
  EngineOptions engine;
  std::string format = "text";
  bool no_time = false;
};

int run_matrix(const MatrixArgs& a) {
  require_supported(a.engine);
  EngineOptions o = a.engine;
  o.all = true;
  o.progress = isatty(2);
  std::vector<MatrixRow> rows;
  int status = 0;
  for (const auto& path : a.models) {
    MatrixRow row;
    row.file = path;
    Loaded l = load_model_file(path);
    if (!l.program) {
      std::cerr << l.diagnostics;
      row.model = path;
      row.result.file = path;
      row.result.outcome = Outcome::ModelError;
      row.result.error = l.diagnostics;
      status = combine_status(status, 2);
    } else {
      row.model = l.program->name;
      row.result = run_engine(Machine(*l.program), path, o);
      if (row.result.outcome == Outcome::ModelError) std::cerr << row.result.error;
      status = combine_status(status, row.result.exit_code());
    }
    rows.push_back(std::move(row));
  }
  MatrixOptions mo;
  mo.time = !a.no_time;
  if (a.format == "json")
    std::cout << matrix_json(rows, mo).dump(2) << "\n";
  else if (a.format == "markdown")
    std::cout << render_matrix_markdown(rows, mo);
  else
    std::cout << render_matrix_text(rows, mo);
  return status;
}

}  // namespace

void add_matrix(CLI::App& app, int* status) {
  auto args = std::make_shared<MatrixArgs>();
  CLI::App* c = app.add_subcommand("matrix", "Check every property of every model and print a model x property table");
  c->add_option("models", args->models, "Model files (.lc), one row each, in this order")->required()->check(CLI::ExistingFile);
  add_engine_options(c, args->engine);
  c->add_option("--format", args->format, "text (default), markdown or json")->check(CLI::IsMember({"text", "markdown", "json"}));
  c->add_flag("--no-time", args->no_time, "Leave out the time column (for byte-identical output)");
  c->callback([args, status] { *status = run_matrix(*args); });
}

}  // namespace lc::cli
