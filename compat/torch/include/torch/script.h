#pragma once
#error \
    "nabla does not support TorchScript (torch::jit::load, torch::jit::script::Module). Move the weights instead: in Python, torch.save(model.state_dict(), 'model.pt'); in C++, build the same model with nabla's modules and model->load_state_dict(nabla::to_state_dict(nabla::torch_load(\"model.pt\"))) (or torch::load(model, \"model.pt\"))."
