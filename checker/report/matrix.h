// The revision x property table: one row per model, one column per property.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checker/verdict.h"

namespace lc {

struct MatrixRow {
  std::string file, model;
  CheckResult result;   // outcome ModelError: the row shows "error"
};

struct MatrixOptions {
  bool time = true;     // show seconds per model (the only nondeterministic field)
};

// Columns: the builtin checks in their fixed order, then every named property of any
// model, ordered by their P-number prefix (p4_ before p13_), then by name.
std::vector<std::string> matrix_columns(const std::vector<MatrixRow>& rows);
std::string render_matrix_text(const std::vector<MatrixRow>& rows, const MatrixOptions& o);
std::string render_matrix_markdown(const std::vector<MatrixRow>& rows, const MatrixOptions& o);
nlohmann::json matrix_json(const std::vector<MatrixRow>& rows, const MatrixOptions& o);

}  // namespace lc
