#pragma once
/// nabla::vision, torchvision in C++: models, transforms and image reading (not part of nabla.h).
///   #include <nabla/vision.h>
///   auto model = nabla::vision::models::resnet18();
///   auto img = nabla::vision::io::read_image("cat.jpg");                 // uint8 [3, H, W], RGB
///   namespace T = nabla::vision::transforms;
///   T::Compose preprocess{T::Resize(256), T::CenterCrop(224), T::ConvertImageDtype(nabla::kFloat),
///                         T::Normalize({0.485, 0.456, 0.406}, {0.229, 0.224, 0.225})};
///   model->eval();
///   auto logits = model->forward(preprocess(img).unsqueeze(0));
#include "nabla/vision/io.h"
#include "nabla/vision/models.h"
#include "nabla/vision/ops.h"
#include "nabla/vision/transforms.h"
