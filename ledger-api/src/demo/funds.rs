//! The 30 demo funds and their stories (DOMAIN.md): the source's names and figures where
//! it gives them (the 犀浦街道 fund founded by 22 enterprises with a little over a million
//! yuan; 童萌之家 with 合兴社区; U咖啡 with 蜀都新邨社区; 奎星楼社区's shared activity room),
//! plausible fictional ones elsewhere. Every name of a person or enterprise that the source
//! does not give is invented; the pages say the data are a demo.
//!
//! Every fund has a supervisor (监督员, an invented name) who signs an opinion on its first
//! statement, and names its host charity (an example name, [`HOST_CHARITY`]); 犀牛社区's
//! history corrects a donation with a 更正说明 and a corrected statement.

use ledger_core::body::{PartyClass, ShareBasis, SpaceKind};
use ledger_core::sample::{Story, StoryAgreement, StoryRestriction, StorySpace};

/// (fund id, Chinese name, English name, street, community, months of history, typical
/// enterprise gift in yuan).
pub(super) const FUNDS: [(&str, &str, &str, &str, &str, u32, i64); 30] = [
    (
        "xipu-street",
        "犀浦街道社区发展基金",
        "Xipu Street Community Development Fund",
        "犀浦街道",
        "犀浦街道",
        46,
        6_000,
    ),
    (
        "xianfeng-village",
        "先锋村社区基金",
        "Xianfeng Village Fund",
        "唐昌街道",
        "先锋村",
        44,
        3_000,
    ),
    (
        "xiniu",
        "犀牛社区基金",
        "Xiniu Community Fund",
        "犀浦街道",
        "犀牛社区",
        42,
        3_000,
    ),
    (
        "xuelin-yayuan",
        "学林雅苑小区基金",
        "Xuelin Yayuan Estate Fund",
        "犀浦街道",
        "犀牛社区",
        30,
        2_000,
    ),
    (
        "xipu-village",
        "犀浦村社区基金",
        "Xipu Village Fund",
        "犀浦街道",
        "犀浦村",
        40,
        2_500,
    ),
    (
        "mancheng",
        "曼城小区基金",
        "Mancheng Estate Fund",
        "犀浦街道",
        "犀浦村",
        28,
        2_000,
    ),
    (
        "kuixinglou",
        "奎星楼社区基金",
        "Kuixinglou Community Fund",
        "郫筒街道",
        "奎星楼社区",
        20,
        3_000,
    ),
    (
        "shuangbai",
        "双柏社区基金",
        "Shuangbai Community Fund",
        "郫筒街道",
        "双柏社区",
        38,
        2_500,
    ),
    (
        "xihe",
        "犀和社区基金",
        "Xihe Community Fund",
        "犀浦街道",
        "犀和社区",
        36,
        2_500,
    ),
    (
        "shuyuan",
        "书院社区基金",
        "Shuyuan Community Fund",
        "郫筒街道",
        "书院社区",
        40,
        3_000,
    ),
    (
        "fulong",
        "伏龙社区基金",
        "Fulong Community Fund",
        "郫筒街道",
        "伏龙社区",
        34,
        2_500,
    ),
    (
        "shudu-xincun",
        "蜀都新邨社区基金",
        "Shudu Xincun Community Fund",
        "郫筒街道",
        "蜀都新邨社区",
        44,
        3_000,
    ),
    (
        "hexing",
        "合兴社区基金",
        "Hexing Community Fund",
        "唐昌街道",
        "合兴社区",
        44,
        3_000,
    ),
    (
        "zhanqi-village",
        "战旗村社区基金",
        "Zhanqi Village Fund",
        "唐昌街道",
        "战旗村",
        46,
        4_000,
    ),
    (
        "tangchang-street",
        "唐昌街道社区基金",
        "Tangchang Street Fund",
        "唐昌街道",
        "唐昌街道",
        40,
        5_000,
    ),
    (
        "pitong-street",
        "郫筒街道社区基金",
        "Pitong Street Fund",
        "郫筒街道",
        "郫筒街道",
        40,
        5_000,
    ),
    (
        "wangcong",
        "望丛社区基金",
        "Wangcong Community Fund",
        "郫筒街道",
        "望丛社区",
        32,
        2_000,
    ),
    (
        "jinxiu",
        "锦绣社区基金",
        "Jinxiu Community Fund",
        "红光街道",
        "锦绣社区",
        30,
        2_000,
    ),
    (
        "hongguang-street",
        "红光街道社区基金",
        "Hongguang Street Fund",
        "红光街道",
        "红光街道",
        36,
        4_000,
    ),
    (
        "baihe",
        "柏合社区基金",
        "Baihe Community Fund",
        "红光街道",
        "柏合社区",
        26,
        2_000,
    ),
    (
        "ande-street",
        "安德街道社区基金",
        "Ande Street Fund",
        "安德街道",
        "安德街道",
        36,
        4_000,
    ),
    (
        "yongxing",
        "永兴社区基金",
        "Yongxing Community Fund",
        "安德街道",
        "永兴社区",
        28,
        2_000,
    ),
    (
        "qinghe",
        "清河社区基金",
        "Qinghe Community Fund",
        "团结街道",
        "清河社区",
        30,
        2_000,
    ),
    (
        "tuanjie-street",
        "团结街道社区基金",
        "Tuanjie Street Fund",
        "团结街道",
        "团结街道",
        34,
        4_000,
    ),
    (
        "dujuan",
        "杜鹃社区基金",
        "Dujuan Community Fund",
        "德源街道",
        "杜鹃社区",
        26,
        2_000,
    ),
    (
        "deyuan-street",
        "德源街道社区基金",
        "Deyuan Street Fund",
        "德源街道",
        "德源街道",
        32,
        4_000,
    ),
    (
        "guihu",
        "桂湖社区基金",
        "Guihu Community Fund",
        "安靖街道",
        "桂湖社区",
        24,
        2_000,
    ),
    (
        "anjing-street",
        "安靖街道社区基金",
        "Anjing Street Fund",
        "安靖街道",
        "安靖街道",
        30,
        4_000,
    ),
    (
        "sandaoyan",
        "三道堰社区基金",
        "Sandaoyan Community Fund",
        "三道堰镇",
        "青杠树村",
        34,
        2_500,
    ),
    (
        "youai",
        "友爱社区基金",
        "You'ai Community Fund",
        "友爱镇",
        "农科村",
        30,
        2_500,
    ),
];

/// Fictional family names and given names of trustees.
const SURNAMES: [&str; 40] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "蒋", "蔡", "余",
];
const GIVEN: [&str; 60] = [
    "建国", "秀英", "志强", "丽华", "德明", "桂芳", "永红", "晓燕", "国庆", "淑珍", "文军", "春梅",
    "海涛", "玉兰", "明华", "红霞", "俊杰", "小琴", "光荣", "雪梅", "家兴", "慧敏", "成刚", "婷婷",
    "宏伟", "凤英", "永强", "静怡", "学文", "思雨", "立新", "秀兰", "卫东", "晓红", "振华", "翠萍",
    "树林", "丹", "勇", "敏", "军", "霞", "刚", "芳", "浩然", "子涵", "嘉怡", "宇航", "雨桐",
    "博文", "晨曦", "天佑", "欣怡", "一鸣", "若曦", "少华", "国平", "素芬", "开明", "德芬",
];
/// Fictional enterprise brand words and trades.
const BRANDS: [&str; 50] = [
    "锦程", "瑞丰", "蜀韵", "天禾", "嘉禾", "恒信", "鑫源", "华景", "宏达", "永盛", "川禾", "丰泽",
    "绿源", "金穗", "博雅", "汇通", "德润", "信和", "康宁", "安泰", "和顺", "益民", "青禾", "望丛",
    "锦江", "蓉城", "沃田", "新禾", "兴蓉", "润泽", "誉达", "祥和", "嘉信", "朗润", "卓越", "致远",
    "华兴", "福临", "鼎盛", "庆丰", "同心", "乐居", "泰和", "春晖", "天府", "盛德", "禾丰", "邦达",
    "恒源", "明德",
];
const TRADES: [&str; 16] = [
    "食品",
    "物业服务",
    "建材",
    "科技",
    "餐饮管理",
    "农业开发",
    "商贸",
    "文化传媒",
    "医药连锁",
    "物流",
    "教育咨询",
    "酒店管理",
    "印务",
    "园林绿化",
    "电子",
    "汽车服务",
];

/// The `k`-th fictional enterprise of the demo (distinct for k < 400).
fn enterprise(k: usize) -> String {
    let city = if k.is_multiple_of(3) {
        "四川"
    } else {
        "成都"
    };
    format!("{city}{}{}有限公司", BRANDS[k % 50], TRADES[k % 16])
}

/// The host charity of every demo fund: an invented name (the source names none).
pub(super) const HOST_CHARITY: &str = "郫都区邻里互助慈善会";

/// The demo fund whose history has a correction (更正说明).
pub(super) const CORRECTED_FUND: &str = "xiniu";

/// The story of demo fund `i`.
pub(super) fn story(i: usize) -> Story {
    let (id, _, _, _, community, _, gift) = FUNDS[i];
    let k = |j: usize| i * 4 + j;
    let trustee = |j: usize| format!("{}{}", SURNAMES[k(j) * 7 % 40], GIVEN[k(j) * 11 % 60]);
    let enterprises: Vec<String> = (0..5).map(|j| enterprise(i * 5 + j)).collect();
    let brand = |j: usize| BRANDS[(i * 3 + j + 17) % 50];
    let org = PartyClass::Organisation;
    let mut story = Story {
        trustees: [trustee(0), trustee(1), trustee(2), trustee(3)],
        founders: Vec::new(),
        founder_gift_yuan: (0, 0),
        enterprise_gift_yuan: (gift / 4, gift * 11 / 10),
        enterprises: enterprises.clone(),
        organisations: vec![
            format!("{community}志愿服务队"),
            format!("{community}老年协会"),
            format!("郫都区{}公益发展中心", brand(0)),
        ],
        organisation_gift_yuan: (300, 3_000),
        renters: vec![
            (format!("{}艺术培训学校", brand(1)), org),
            (format!("{community}舞蹈队"), org),
            (format!("{}读书会", brand(2)), org),
            (format!("郫都区{}围棋俱乐部", brand(0)), org),
            (enterprises[0].clone(), PartyClass::Enterprise),
        ],
        payees: vec![
            (format!("郫都区{}社会工作服务中心", brand(2)), org),
            (format!("{community}老年协会"), org),
            (
                format!("成都{}园林绿化有限公司", brand(1)),
                PartyClass::Enterprise,
            ),
        ],
        agreements: Vec::new(),
        spaces: rooms(i, community),
        mix: [64, 24, 10],
        supervisor: Some(format!(
            "{}{}",
            SURNAMES[(k(4) * 13 + 5) % 40],
            GIVEN[(k(4) * 17 + 3) % 60]
        )),
        host: Some(HOST_CHARITY.to_owned()),
        correction: id == CORRECTED_FUND,
        // One fund in three holds a restricted gift (限定性捐赠) to its 阳光驿站 (an
        // example project name), spent on the project month by month while it lasts.
        restricted: i.is_multiple_of(3).then(|| StoryRestriction {
            id: "yangguang-yizhan".into(),
            purpose: format!("{community}阳光驿站助老服务"),
            donor: enterprises[1].clone(),
            gift_yuan: gift * 5,
            monthly_yuan: (gift / 10, gift / 5),
            payee: format!("郫都区{}社会工作服务中心", brand(2)),
            revoked_after_months: None,
        }),
    };
    match id {
        "xipu-street" => {
            // 20+ enterprises of the street founded it with a little over 1,000,000 yuan.
            story.founders = (0..22).map(|j| enterprise(150 + j)).collect();
            story.founder_gift_yuan = (40_000, 62_000);
        }
        "hexing" => story.agreements.push(StoryAgreement {
            id: "tongmeng-zaojiao".into(),
            enterprise: "童萌之家".into(),
            venture: "童萌之家惠民早教中心".into(),
            basis: ShareBasis::Profit,
            rate: "0.1000".into(),
            fixed_monthly_yuan: Some(1_800),
            yearly: true,
            base_yuan: (80_000, 260_000),
        }),
        "shudu-xincun" => story.agreements.push(StoryAgreement {
            id: "u-cafe".into(),
            enterprise: "四川凯优雅致酒店管理有限公司".into(),
            venture: "U咖啡".into(),
            basis: ShareBasis::Revenue,
            rate: "0.5000".into(),
            fixed_monthly_yuan: None,
            yearly: true,
            base_yuan: (60_000, 140_000),
        }),
        "kuixinglou" => {
            // The community complex's shared activity room: 200,000+ yuan in half a year.
            story.spaces = vec![
                StorySpace {
                    id: "activity-room".into(),
                    name: "奎星楼社区综合体共享活动室".into(),
                    kind: SpaceKind::ActivityRoom,
                    hourly_yuan: 380,
                    hours: 3,
                    weight: 88,
                },
                StorySpace {
                    id: "meeting-room".into(),
                    name: "奎星楼社区共享会议室".into(),
                    kind: SpaceKind::MeetingRoom,
                    hourly_yuan: 80,
                    hours: 2,
                    weight: 12,
                },
            ];
            story.mix = [30, 62, 7];
        }
        _ if i % 3 == 1 => story.agreements.push(StoryAgreement {
            id: format!("{}-venture", id.split('-').next().unwrap_or(id)),
            enterprise: format!("成都{}社会企业服务有限公司", brand(3)),
            venture: format!(
                "{community}{}",
                ["邻里食堂", "托育中心", "便民维修站", "社区书店"][i % 4]
            ),
            basis: ShareBasis::Revenue,
            rate: ["0.1000", "0.1500", "0.2000"][i % 3].into(),
            fixed_monthly_yuan: None,
            yearly: false,
            base_yuan: (10_000, 30_000),
        }),
        _ => {}
    }
    story
}

/// A fund's own shared rooms (one to three), named for its community.
fn rooms(i: usize, community: &str) -> Vec<StorySpace> {
    let all = [
        (
            "activity-room",
            "共享活动室",
            SpaceKind::ActivityRoom,
            120,
            2,
        ),
        ("classroom", "共享教室", SpaceKind::Classroom, 80, 2),
        ("meeting-room", "共享会议室", SpaceKind::MeetingRoom, 60, 2),
        ("theatre", "共享剧场", SpaceKind::Theatre, 260, 3),
        ("hall", "邻里中心多功能厅", SpaceKind::Other, 150, 3),
    ];
    (0..1 + i % 3)
        .map(|j| {
            let (id, name, kind, rate, hours) = all[(i + j * 2) % all.len()];
            StorySpace {
                id: id.into(),
                name: format!("{community}{name}"),
                kind,
                hourly_yuan: rate + (i as i64 % 5) * 10,
                hours,
                weight: 1,
            }
        })
        .collect()
}
