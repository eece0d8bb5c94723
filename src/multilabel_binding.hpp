// Registers the multi-label primitives (multilabel_sums, multilabel_joint_pass,
// multilabel_select, multilabel_ema_scores) on labelsieve._core.
#pragma once
#include <pybind11/pybind11.h>

namespace labelsieve_binding {

void register_multilabel(pybind11::module_& m);

}  // namespace labelsieve_binding
