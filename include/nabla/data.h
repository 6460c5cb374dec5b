#pragma once
/// Data loading: datasets, samplers, transforms, the DataLoader, and readers of IDX, CSV and
/// NumPy files.
///   #include <nabla/data.h>
///   auto train = nabla::data::datasets::FashionMNIST().map(nabla::data::transforms::Normalize<>(0.2860, 0.3530));
///   nabla::data::DataLoader loader(std::move(train), nabla::data::DataLoaderOptions(64).shuffle(true).seed(0));
///   for (auto& batch : loader) { ... batch.data ... batch.target ... }
#include "nabla/data/csv.h"
#include "nabla/data/dataloader.h"
#include "nabla/data/datasets.h"
#include "nabla/data/example.h"
#include "nabla/data/idx.h"
#include "nabla/data/mnist.h"
#include "nabla/data/npy.h"
#include "nabla/data/samplers.h"
#include "nabla/data/transforms.h"
#include "nabla/data/vocabulary.h"
