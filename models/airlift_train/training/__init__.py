"""Training of the networks: the DDSP model's framed clips (`ddsp_frames`), loss and loop
(`ddsp_train`), the Spectral U-Net's (`unet_train`), and the two end-to-end pipelines that
`cargo xtask train` runs (`ddsp_pipeline`, `unet_pipeline`: data, training, export, checks
and the manifest)."""
