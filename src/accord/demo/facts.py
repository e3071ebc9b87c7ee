"""Public facts about the four seed datasets, written in our own words.

Sources: the custodians' own access documents (shared/seeds/), the papers and the projects' public pages.
The images shipped with the demo are generated stand-ins; the counts below describe the real releases.
"Terms in brief" paraphrase the custodians' terms in plain words and say how access works in Accord; the terms
themselves are the seed policies (policy/seeds/*.yaml). The custodians' contacts are demo addresses: no real
address from the seed documents goes into the demo (a click on one must not mail a real person).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class DatasetFacts:
    slug: str
    title: str
    custodian: str
    custodian_short: str
    custodian_contact: str
    summary: str
    description: str
    homepage: str
    modalities: tuple[str, ...]
    subject_count: int | None
    image_count: int | None
    citation_bibtex: str
    terms_summary: str

    def as_fields(self) -> dict:
        """Keyword arguments for catalog.service.create_dataset."""
        fields = asdict(self)
        fields["modalities"] = list(self.modalities)
        return fields


LLVIP = DatasetFacts(
    slug="llvip",
    title="LLVIP: visible-infrared paired images for low-light vision",
    custodian="Beijing University of Posts and Telecommunications",
    custodian_short="BUPT",
    custodian_contact="llvip-custodian@example.org",
    summary="Pedestrian scenes captured at the same instant by a visible-light and an infrared camera, "
    "mostly after dark, as 15,488 aligned image pairs.",
    description=(
        "LLVIP pairs every visible-light frame with an infrared frame of the same view, registered in time "
        "and space, so that methods can be trained and compared where ordinary cameras see little. The "
        "images come from 26 scenes: 24 taken in the dark and 2 in daylight. Within a scene the authors aimed "
        "for different pedestrians in different images, or the same person in another pose or position.\n\n"
        "The public release holds 15,488 pairs, that is 30,976 images (some low-quality frames of the "
        "original collection were removed before release). Pedestrians are annotated with bounding boxes; "
        "the data is used for low-light pedestrian detection, visible-infrared image fusion and "
        "image-to-image translation. Some faces have been blurred.\n\n"
        "The pictures in this demo are small generated stand-ins (visible/ and infrared/ folders with "
        "matching file names), not images from LLVIP."
    ),
    homepage="https://bupt-ai-cz.github.io/LLVIP/",
    modalities=("visible", "infrared"),
    subject_count=None,
    image_count=30_976,
    citation_bibtex="""@inproceedings{jia2021llvip,
  title     = {{LLVIP}: A Visible-infrared Paired Dataset for Low-light Vision},
  author    = {Jia, Xinyu and Zhu, Chuang and Li, Minzhen and Tang, Wenqi and Zhou, Wenli},
  booktitle = {Proceedings of the IEEE/CVF International Conference on Computer Vision Workshops (ICCVW)},
  pages     = {3496--3504},
  year      = {2021}
}""",
    terms_summary=(
        "Free for anyone, academic or not, as long as the use is non-commercial: research, teaching, "
        "publications or personal experiments. Selling or licensing the data, or anything derived from it, "
        "is not allowed. Any work using LLVIP must cite the paper (outside papers, a link to the project "
        "site will do). If you publish new annotations built on LLVIP, say on their homepage how they "
        "relate to the original, ask their users to cite LLVIP too, and tell BUPT about them: it may list "
        "them on its homepage, with credit. Do not use the images to identify people or intrude on their "
        "privacy; anyone pictured can ask BUPT to be removed. Rights not granted stay with BUPT.\n\n"
        "Access is a click-through: apply on this page, tick each clause, sign with your name, and the "
        "download page opens as soon as the automatic checks pass."
    ),
)

CION_AL = DatasetFacts(
    slug="cion-al",
    title="CION-AL: identity-labelled person images for re-identification pre-training",
    custodian="National Key Laboratory of Multispectral Information Intelligent Processing Technology, "
    "School of Artificial Intelligence and Automation, Huazhong University of Science and "
    "Technology (HUST)",
    custodian_short="HUST",
    custodian_contact="cion-al-creators@example.org",
    summary="3,898,086 person images from internet videos, grouped into 246,904 identities, for "
    "pre-training person re-identification models.",
    description=(
        "CION-AL re-labels the person crops of LUPerson-NL, which were cut from street-view videos found "
        "online. Its creators correlate images of the same person across different videos with a "
        "progressive identity-correlation search, which gives more reliable identity labels than tracking "
        "inside a single video. The result: 3,898,086 images of 246,904 identities.\n\n"
        "It was built for CION (Cross-video Identity-cOrrelating pre-traiNing), whose pre-trained models "
        "the authors publish as the ReIDZoo model zoo. The dataset is free of charge for researchers.\n\n"
        "This demo holds small generated stand-ins: one folder per identity with a few crops each, the "
        "folder name being the identity label."
    ),
    homepage="https://github.com/Zplusdragon/CION_ReIDZoo",
    modalities=("visible",),
    subject_count=246_904,
    image_count=3_898_086,
    citation_bibtex="""@inproceedings{zuo2024crossvideo,
  title     = {Cross-video Identity Correlating for Person Re-identification Pre-training},
  author    = {Zuo, Jialong and Nie, Ying and Zhou, Hanyu and Zhang, Huaxin and Wang, Haoyu and
               Guo, Tianyu and Sang, Nong and Gao, Changxin},
  booktitle = {Advances in Neural Information Processing Systems (NeurIPS)},
  year      = {2024}
}""",
    terms_summary=(
        "Free for researchers, under a licence signed for your institution. Without prior approval from "
        "the creators at HUST you may not pass on, publish or copy any part of it (for profit or not), use "
        "it or anything derived from it commercially, or modify it. Papers and documents reporting "
        "experiments on it must cite the CION paper (or a later version of it). You undertake to protect "
        "the privacy of everyone pictured and bear the consequences of any misuse.\n\n"
        "Apply on this page with your name and title, job title, nationality, organisation, department, "
        "address, e-mail and telephone, and name the person with legal authority to sign licence "
        "agreements for your institution (ideally after its legal staff have read the terms). Accord "
        "e-mails that person a one-use link to read and countersign the agreement; a signature without "
        "that authority is void. A reviewer then decides, you are told by e-mail, and once approved the "
        "dataset's download page opens for you."
    ),
)

AT_USTC = DatasetFacts(
    slug="at-ustc",
    title="AT-USTC: anytime person re-identification in RGB and infrared",
    custodian="Information Processing Center, University of Science and Technology of China (USTC)",
    custodian_short="USTC",
    custodian_contact="at-ustc-custodian@example.org",
    summary="RGB and infrared images of 270 consenting volunteers, each photographed about 29 times over "
    "more than a year, for re-identifying people by day, by night, soon after or long after.",
    description=(
        "AT-USTC supports anytime person re-identification (AT-ReID): finding a person again at any time "
        "of day and over short or long gaps. From the times of the query and gallery images the benchmark "
        "defines six scenarios: daytime short-term (DT-ST), daytime long-term (DT-LT), night-time "
        "short-term (NT-ST), night-time long-term (NT-LT), all-day short-term (AD-ST) and all-day "
        "long-term (AD-LT). It thereby covers ordinary re-identification, visible-infrared cross-modal "
        "matching and long-term matching with changed clothes in one benchmark.\n\n"
        "Collection ran for over a year with both RGB and infrared cameras (the paper reports 21 months "
        "and about 403 thousand images). The 270 volunteers were photographed 29.1 times on average, on "
        "different dates or in different scenes, which gives many clothes, scenes and modalities per "
        "person. Every volunteer consented to the collection.\n\n"
        "This demo holds small generated stand-ins: rgb/ and ir/ crops per volunteer, labelled with their "
        "scenario and camera."
    ),
    homepage="https://arxiv.org/abs/2509.16635",
    modalities=("visible", "infrared"),
    subject_count=270,
    image_count=None,
    citation_bibtex="""@inproceedings{li2025anytime,
  title     = {Towards Anytime Retrieval: A Benchmark for Anytime Person Re-Identification},
  author    = {Li, Xulin and Lu, Yan and Liu, Bin and Li, Jiaze and Yang, Qinhong and Gong, Tao and
               Chu, Qi and Ye, Mang and Yu, Nenghai},
  booktitle = {Proceedings of the International Joint Conference on Artificial Intelligence (IJCAI)},
  year      = {2025}
}""",
    terms_summary=(
        "For research only; USTC holds the copyright. No part of the data may be modified, passed on, "
        "published or copied, for profit or not, and that includes other units of your own organisation: "
        "only the unit named in your application may use it. No commercial use of any kind, including "
        "promoting a product or technology. Every document or paper using the data must cite the AT-USTC "
        "benchmark paper.\n\n"
        "Your written request is the application on this page: your name, organisation, postal address, "
        "telephone and e-mail, the unit that will hold the data and what it is for, signed and dated in "
        "the browser. A reviewer decides, and once approved the download page opens for you."
    ),
)

SHHQ = DatasetFacts(
    slug="shhq",
    title="SHHQ: Stylish-Humans-HQ full-body images",
    custodian="Shanghai AI Laboratory",
    custodian_short="Shanghai AI Lab",
    custodian_contact="shhq-custodian@example.org",
    summary="40,000 high-quality full-body photographs of clothed people at 1024x512 (SHHQ-1.0), with a "
    "100-image preview open to everyone.",
    description=(
        "SHHQ collects clean, full-body images of people in everyday and fashionable clothing, made for "
        "training generative models of the human body (the StyleGAN-Human study). Each image is 1024 "
        "pixels tall and 512 wide with one person in full view.\n\n"
        "SHHQ-1.0 releases 40,000 images; more are to follow after the custodian's legal review. They come "
        "from web photos under the Creative Commons Attribution 2.0 licence (Flickr, Unsplash, Pixabay, "
        "Pexels), images bought from photographers, modelling agencies and other suppliers after legal "
        "review, 9,991 processed DeepFashion images (full-body shots only) and 1,940 images of African "
        "fashion from InFashAI added for diversity. People are anonymised and no private metadata is kept.\n\n"
        "A preview of 100 images sampled at random from SHHQ-1.0 is public. In this demo the preview and "
        "the rest are generated stand-ins."
    ),
    homepage="https://github.com/stylegan-human/StyleGAN-Human",
    modalities=("visible",),
    subject_count=None,
    image_count=40_000,
    citation_bibtex="""@inproceedings{fu2022styleganhuman,
  title     = {{StyleGAN-Human}: A Data-Centric Odyssey of Human Generation},
  author    = {Fu, Jianglin and Li, Shikai and Jiang, Yuming and Lin, Kwan-Yee and Qian, Chen and
               Loy, Chen Change and Wu, Wayne and Liu, Ziwei},
  booktitle = {European Conference on Computer Vision (ECCV)},
  pages     = {1--19},
  year      = {2022}
}""",
    terms_summary=(
        "Non-commercial research only. You may not copy, sell, trade or otherwise exploit any image or "
        "anything derived from them commercially, and may not give any part to a third party; copies for "
        "internal use at a single site of your organisation are allowed. Shanghai AI Lab may end your "
        "access at any time. The 100-image preview needs no agreement.\n\n"
        "Apply on this page with an address at your institution, name the site that will keep the data, "
        "and sign the release agreement in the browser. Each application is checked by hand; once it is "
        "approved the download page opens for you, with every file and its checksum."
    ),
)

ALL: tuple[DatasetFacts, ...] = (LLVIP, CION_AL, AT_USTC, SHHQ)
BY_SLUG: dict[str, DatasetFacts] = {f.slug: f for f in ALL}
