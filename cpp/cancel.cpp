#include "cancel.hpp"

namespace labelsieve {

StopFlag*& current_stop_flag() {
    thread_local StopFlag* flag = nullptr;
    return flag;
}

}  // namespace labelsieve
