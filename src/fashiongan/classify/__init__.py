"""Fashion classifiers: models, training (real, augmented, + GAN images), prediction, the augmentation study."""
